import t from 'tap'
import { withTimeout } from '../../../src/util/timeout.js'

t.test('settles like the promise when it is first', async (t) => {
  t.equal(await withTimeout(Promise.resolve(7), 1000, () => new Error('late')), 7)
  await t.rejects(withTimeout(Promise.reject(new Error('own')), 1000, () => new Error('late')), { message: 'own' })
})

t.test('rejects with onTimeout() when the time runs out first', async (t) => {
  await t.rejects(withTimeout(new Promise(() => {}), 10, () => new Error('late')), { message: 'late' })
})
