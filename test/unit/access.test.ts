import t from 'tap'
import { TodError } from '../../src/errors.js'
import { Access } from '../../src/security/access.js'

const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'
const u = (s: string): URL => new URL(`http://x${s}`)
const code = (fn: () => void): string | null => {
  try { fn(); return null } catch (e) { return (e as TodError).code }
}

t.test('open server: nothing checked, nothing signed', async (t) => {
  const a = new Access({ tokens: [], signingKey: 'k', ttlSec: 60 })
  t.equal(code(() => { a.check('torrents', u('/torrents'), undefined) }), null)
  t.equal(a.query('/stream/x/0'), '')
})

t.test('tokens: 401 without, 403 wrong, ok right; /health open', async (t) => {
  const a = new Access({ tokens: ['s3cret', 'other-token'], signingKey: 'k', ttlSec: 60 })
  t.equal(code(() => { a.check('torrents', u('/torrents'), undefined) }), 'TOD_ERR_UNAUTHORIZED')
  t.equal(code(() => { a.check('torrents', u('/torrents'), 'Bearer nope') }), 'TOD_ERR_FORBIDDEN')
  t.equal(code(() => { a.check('torrents', u('/torrents'), 'Basic czNjcmV0') }), 'TOD_ERR_UNAUTHORIZED')
  t.equal(code(() => { a.check('torrents', u('/torrents'), 'Bearer s3cret') }), null)
  t.equal(code(() => { a.check('torrents', u('/torrents'), 'bearer other-token') }), null, 'scheme is case-insensitive')
  t.equal(code(() => { a.check('health', u('/health'), undefined) }), null)
  try { a.check('torrents', u('/torrents'), undefined) } catch (e) {
    t.match((e as TodError).headers['WWW-Authenticate'], /^Bearer realm=/, '401 carries a challenge')
  }
})

t.test('signed URLs open streams and playlists only, until they expire', async (t) => {
  const a = new Access({ tokens: ['s3cret'], signingKey: 'k', ttlSec: 60 })
  const path = `/stream/${IH}/0/film.mp4`
  const signed = u(path + a.query(path, 1000))
  t.equal(code(() => { a.check('stream-file', signed, undefined, 1030) }), null)
  t.equal(code(() => { a.check('stream-file', signed, undefined, 1061) }), 'TOD_ERR_FORBIDDEN', 'expired')
  const torrents = u('/torrents' + a.query('/torrents', 1000))
  t.equal(code(() => { a.check('torrents', torrents, undefined, 1000) }), 'TOD_ERR_UNAUTHORIZED', 'not for the API')
  const pl = `/playlist/${IH}.m3u`
  t.equal(code(() => { a.check('playlist', u(pl + a.query(pl, 1000)), undefined, 1000) }), null)
})
