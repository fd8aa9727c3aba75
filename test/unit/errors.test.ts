import t from 'tap'
import { ERRORS, TodError, errorBody, serializeError, toTodError } from '../../src/errors.js'

t.test('a code with parameters fills its template', async (t) => {
  const e = new TodError('TOD_ERR_STALLED', { piece: 7, ms: 30000 })
  t.equal(e.message, 'piece 7 did not arrive within 30000 ms')
  t.equal(e.status, 504)
  t.equal(new TodError('TOD_ERR_STALLED').message, ERRORS.TOD_ERR_STALLED.message, 'no parameters: the plain message')
  // @ts-expect-error free text is not a parameter object: every message comes from the catalogue
  const free = new TodError('TOD_ERR_BAD_QUERY', 'free text')
  t.equal(free.message, ERRORS.TOD_ERR_BAD_QUERY.message, 'free text never becomes the message')
  t.equal(new TodError('TOD_ERR_BAD_QUERY', { reason: 'the x parameter is required' }).message, 'the request is not valid: the x parameter is required')
})

t.test('parameters from strangers are cut short', async (t) => {
  const e = new TodError('TOD_ERR_UNSUPPORTED_MEDIA', { name: 'x'.repeat(10_000), kind: 'video', mime: 'text/plain' })
  t.ok(e.message.length < 150, `message of ${e.message.length} characters`)
})

t.test('the new codes', async (t) => {
  t.equal(new TodError('TOD_ERR_PRIVATE_NETWORK').status, 403)
  t.match(new TodError('TOD_ERR_PRIVATE_NETWORK').message, /--allow-private-networks/)
  t.equal(new TodError('TOD_ERR_TOO_MANY_FILES').status, 400)
  t.equal(new TodError('TOD_ERR_PATH_TOO_LONG').status, 400)
  t.match(new TodError('TOD_ERR_BLOCKED_ADDRESS', { address: '10.0.0.1' }).message, /non-public address 10\.0\.0\.1/)
  t.equal(new TodError('TOD_ERR_DISK_FULL').status, 507)
  t.match(new TodError('TOD_ERR_DISK_FULL').message, /free space .* torrent\.max_disk_usage/)
})

t.test('one body, one serialised form', async (t) => {
  const e = new TodError('TOD_ERR_RATE_LIMITED', { seconds: 3 }, { headers: { 'Retry-After': '3' } })
  t.same(errorBody(e), { error: { code: 'TOD_ERR_RATE_LIMITED', message: 'too many requests; retry in 3 s' } })
  t.same(errorBody(new Error('boom')), { error: { code: 'TOD_ERR_INTERNAL', message: 'internal error' } })
  const wire = serializeError(e)
  t.same(wire, { code: 'TOD_ERR_RATE_LIMITED', message: 'too many requests; retry in 3 s', headers: { 'Retry-After': '3' } })
  const back = toTodError(JSON.parse(JSON.stringify(wire)))
  t.same([back.code, back.status, back.message, back.headers], ['TOD_ERR_RATE_LIMITED', 429, wire.message, { 'Retry-After': '3' }])
})

t.test('an internal error that crossed a boundary keeps its detail for the log, not for the client', async (t) => {
  const wire = serializeError(new Error('ENOENT: open /var/cache/secret/path'))
  t.match(wire.message, /secret/, 'the detail crosses (the front-end logs it)')
  const back = toTodError(JSON.parse(JSON.stringify(wire)))
  t.equal(back.code, 'TOD_ERR_INTERNAL')
  t.same(errorBody(back), { error: { code: 'TOD_ERR_INTERNAL', message: 'internal error' } }, 'the body has the catalogue\'s words only')
})
