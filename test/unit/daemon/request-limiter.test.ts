import t from 'tap'
import { RequestLimiter } from '../../../src/daemon/request-limiter.js'

t.test('counts per client and answers Retry-After', async (t) => {
  const l = new RequestLimiter(3)
  for (let i = 0; i < 3; i++) t.equal((await l.admit('a')).allowed, true)
  const no = await l.admit('a')
  t.equal(no.allowed, false)
  t.ok(no.retryAfterSec >= 1 && no.retryAfterSec <= 60, `retry after ${no.retryAfterSec} s`)
  t.equal((await l.admit('b')).allowed, true, 'another client has its own count')
  l.setLimit(0)
  for (let i = 0; i < 10; i++) t.equal((await l.admit('a')).allowed, true, 'limit off')
})
