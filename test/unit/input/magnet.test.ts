import t from 'tap'
import { parseMagnet } from '../../../src/input/magnet.js'
import { sanitizeMagnet } from '../../../src/security/sanitize.js'

const IH = '2a7342b09ae2efd18290e989cfa7142dcc8edfe5'
const IH_B32 = 'FJZUFME24LX5DAUQ5GE47JYUFXGI5X7F'
const OTHER = 'c9e15763f722f23e98a29decdfae341b98d53056'

t.test('a magnet is read into its parts', async (t) => {
  const m = `magnet:?xt=urn:btih:${IH}&dn=A%20film&tr=udp%3A%2F%2Ft.example%3A80&ws=http%3A%2F%2Fw.example%2F&as=http%3A%2F%2Fa.example%2F&xs=http%3A%2F%2Fx.example%2Ft&x.pe=1.2.3.4:5`
  const p = parseMagnet(m)
  t.equal(p.infoHash, IH)
  t.equal(p.name, 'A film')
  t.same(p.trackers, ['udp://t.example:80'])
  t.same(p.webSeeds, ['http://w.example/'])
  t.same(p.acceptableSources, ['http://a.example/'])
  t.same(p.sources, ['http://x.example/t'])
  t.same(p.peers, ['1.2.3.4:5'])
  t.equal(p.raw, m)
})

t.test('hex and base32 of the same hash agree; different hashes are refused', async (t) => {
  t.equal(parseMagnet(`magnet:?xt=urn:btih:${IH_B32}`).infoHash, IH)
  t.equal(parseMagnet(`magnet:?xt=urn:btih:${IH}&xt=urn:btih:${IH_B32}`).infoHash, IH, 'same hash twice')
  t.equal(parseMagnet(`magnet:?xt=urn:btih:${IH.toUpperCase()}&xt=urn:btih:${IH}`).infoHash, IH, 'case does not matter')
  for (const m of [
    `magnet:?xt=urn:btih:${IH}&xt=urn:btih:${OTHER}`,
    `magnet:?xt=urn:btih:${OTHER}&xt=urn:btih:${IH_B32}`,
    `magnet:?xt=urn:btih:${IH_B32}&dn=x&xt=urn:btih:${OTHER}`
  ]) {
    t.throws(() => parseMagnet(m), { code: 'TOD_ERR_BAD_MAGNET', message: /info-hashes .* disagree/ }, m.slice(0, 40))
  }
})

t.test('the sanitiser refuses what the parser refuses (one parser)', async (t) => {
  await t.rejects(sanitizeMagnet(`magnet:?xt=urn:btih:${IH}&xt=urn:btih:${OTHER}`, { allowPrivate: true }),
    { code: 'TOD_ERR_BAD_MAGNET', message: /disagree/ })
})

t.test('spellings magnet-uri would read differently are refused', async (t) => {
  for (const m of [`MAGNET:?xt=urn:btih:${IH}`, `magnet:?xt=URN:BTIH:${IH}`, `magnet:?xt=urn:btih:${IH}${IH.slice(0, 8)}`]) {
    t.throws(() => parseMagnet(m), { code: 'TOD_ERR_BAD_MAGNET' }, m.slice(0, 30))
  }
})

t.test('messages never echo the magnet', async (t) => {
  const long = `magnet:?xt=urn:btih:${'z'.repeat(5000)}`
  const err = t.throws(() => parseMagnet(long), { code: 'TOD_ERR_BAD_MAGNET' }) as Error
  t.ok(err.message.length < 200, 'short message')
  t.notMatch(err.message, /zzzz/, 'the hash is not echoed')
  t.throws(() => parseMagnet('magnet:?xt=urn:btih:' + IH + '&tr=' + 'a'.repeat(20_000)), { message: /16 KiB/ })
})
