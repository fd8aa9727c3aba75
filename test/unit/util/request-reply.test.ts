import t from 'tap'
import { RequestReply, within } from '../../../src/util/request-reply.js'

t.test('a reply settles the request of its id; late and duplicate replies are ignored', async (t) => {
  const rr = new RequestReply<string>(1000)
  const sent: number[] = []
  const a = rr.request((id) => { sent.push(id) })
  const b = rr.request((id) => { sent.push(id) })
  t.not(sent[0], sent[1], 'fresh ids')
  t.equal(rr.size, 2)
  t.equal(rr.resolve(sent[1]!, 'B'), true)
  t.equal(rr.resolve(sent[0]!, 'A'), true)
  t.equal(rr.resolve(sent[0]!, 'again'), false, 'a duplicate reply')
  t.same(await Promise.all([a, b]), ['A', 'B'])
  t.equal(rr.size, 0)
})

t.test('no reply in time rejects with the timeout error', async (t) => {
  const rr = new RequestReply<string>(1000)
  let id = 0
  const started = Date.now()
  await t.rejects(rr.request((i) => { id = i }, 50), { code: 'TOD_ERR_ENGINE' })
  t.ok(Date.now() - started < 900, 'the per-request timeout applies')
  t.equal(rr.resolve(id, 'late'), false, 'a late reply is ignored')
  t.equal(rr.size, 0)
})

t.test('a send that throws rejects at once; rejectAll fails everything waiting', async (t) => {
  const rr = new RequestReply<string>(10_000)
  await t.rejects(rr.request(() => { throw new Error('channel closed') }), /channel closed/)
  const waiting = [rr.request(() => {}), rr.request(() => {})]
  rr.rejectAll(new Error('gone'))
  for (const w of waiting) await t.rejects(w, /gone/)
  t.equal(rr.size, 0)
})

t.test('within: the value in time, else the fallback', async (t) => {
  t.equal(await within(Promise.resolve(1), 50, 0), 1)
  t.equal(await within(new Promise<number>(() => {}), 20, 0), 0)
})
