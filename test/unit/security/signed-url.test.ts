import t from 'tap'
import { signedPath } from '../../../src/http/routes.js'
import { signQuery, verifySignature } from '../../../src/security/signed-url.js'

const KEY = 'k'.repeat(32)
const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'
/** verifySignature's arguments for a request: its path and its query. */
const url = (path: string, query: string): [string, URLSearchParams] => [path, new URLSearchParams(query)]

t.test('the signed path drops the file name of file routes only (the route table)', async (t) => {
  t.equal(signedPath(`/stream/${IH}/0/film.mp4`), `/stream/${IH}/0`)
  t.equal(signedPath(`/stream/${IH}/0/a/b.mkv`), `/stream/${IH}/0`)
  t.equal(signedPath(`/document/${IH}/2/x.srt`), `/document/${IH}/2`)
  t.equal(signedPath(`/stream/${IH}/0`), `/stream/${IH}/0`)
  t.equal(signedPath(`/playlist/${IH}.m3u`), `/playlist/${IH}.m3u`)
})

t.test('a signed URL verifies until it expires, whatever its file name', async (t) => {
  const q = signQuery(KEY, `/stream/${IH}/0/film.mp4`, 2000)
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0/other-name.mkv`, q), 1999), 'valid')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, q), 2000), 'valid', 'valid through its expiry second')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, q), 2001), 'expired')
})

t.test('tampering is caught', async (t) => {
  const q = new URLSearchParams(signQuery(KEY, `/stream/${IH}/0`, 2000))
  const sig = q.get('sig') as string
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/1`, q.toString()), 1000), 'invalid', 'another file')
  t.equal(verifySignature(KEY, ...url(`/document/${IH}/0`, q.toString()), 1000), 'invalid', 'another route')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, `exp=3000&sig=${sig}`), 1000), 'invalid', 'a later expiry')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, `exp=1&sig=${sig}`), 1000), 'invalid', 'tampered and expired reads as invalid')
  t.equal(verifySignature('other-key', ...url(`/stream/${IH}/0`, q.toString()), 1000), 'invalid', 'another key')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, `exp=2000&sig=${sig.slice(0, -1)}`), 1000), 'invalid', 'a shortened MAC')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, 'exp=2000'), 1000), 'invalid', 'no sig')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, `exp=2e3&sig=${sig}`), 1000), 'invalid', 'exp not in digits')
  t.equal(verifySignature(KEY, ...url(`/stream/${IH}/0`, 'a=b'), 1000), 'absent')
})
