import t from 'tap'
import { Access } from '../../../src/security/access.js'
import type { AccessTarget } from '../../../src/security/access.js'

const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'
const q = (s: string): URLSearchParams => new URL(`http://x${s}`).searchParams
/** Route facts as the route table gives them (src/http/routes.ts). */
const api = (path: string): AccessTarget => ({ open: false, signable: false, signedPath: path })
const open = (path: string): AccessTarget => ({ open: true, signable: false, signedPath: path })
const signable = (path: string): AccessTarget => ({ open: false, signable: true, signedPath: path })

t.test('open server: nothing checked, nothing signed', async (t) => {
  const a = new Access({ tokens: [], signingKey: 'k', ttlSec: 60 })
  t.doesNotThrow(() => { a.check(api('/torrents'), q(''), undefined) })
  t.equal(a.query('/stream/x/0'), '')
})

t.test('tokens: 401 without, 403 wrong, ok right; open routes need none', async (t) => {
  const a = new Access({ tokens: ['s3cret', 'other-token'], signingKey: 'k', ttlSec: 60 })
  t.throws(() => { a.check(api('/torrents'), q(''), undefined) }, { code: 'TOD_ERR_UNAUTHORIZED', headers: { 'WWW-Authenticate': /^Bearer realm=/ } }, '401 carries a challenge')
  t.throws(() => { a.check(api('/torrents'), q(''), 'Bearer nope') }, { code: 'TOD_ERR_FORBIDDEN' })
  t.throws(() => { a.check(api('/torrents'), q(''), 'Basic czNjcmV0') }, { code: 'TOD_ERR_UNAUTHORIZED' })
  t.doesNotThrow(() => { a.check(api('/torrents'), q(''), 'Bearer s3cret') })
  t.doesNotThrow(() => { a.check(api('/torrents'), q(''), 'bearer other-token') }, 'scheme is case-insensitive')
  t.doesNotThrow(() => { a.check(open('/health'), q(''), undefined) })
})

t.test('signed URLs open signable routes only, until they expire', async (t) => {
  const a = new Access({ tokens: ['s3cret'], signingKey: 'k', ttlSec: 60 })
  const path = `/stream/${IH}/0`
  const signed = q(a.query(path, 1000))
  t.doesNotThrow(() => { a.check(signable(path), signed, undefined, 1030) })
  t.throws(() => { a.check(signable(path), signed, undefined, 1061) }, { code: 'TOD_ERR_FORBIDDEN', message: /expired/ }, 'expired')
  t.throws(() => { a.check(signable(`/stream/${IH}/1`), signed, undefined, 1030) }, { code: 'TOD_ERR_FORBIDDEN', message: /not valid/ }, 'another file')
  t.throws(() => { a.check(api('/torrents'), q(a.query('/torrents', 1000)), undefined, 1000) }, { code: 'TOD_ERR_UNAUTHORIZED' }, 'not for the API')
  const pl = `/playlist/${IH}.m3u`
  t.doesNotThrow(() => { a.check(signable(pl), q(a.query(pl, 1000)), undefined, 1000) })
})
