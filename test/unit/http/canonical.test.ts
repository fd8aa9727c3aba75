// src/http/canonical.ts (server.hash_routing): which requests a node sends again, and where.
import t from 'tap'
import { canonicalLocation } from '../../../src/http/canonical.js'

const hex = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a'
const b32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK'
const at = (pathAndQuery: string): string | null => canonicalLocation(new URL(pathAndQuery, 'http://node'))

t.test('paths: upper-case and base32 info-hashes go to lower-case hex, the rest of the URL kept', async (t) => {
  t.equal(at(`/stream/${hex}/0/a.mkv`), null, 'canonical: served here')
  t.equal(at(`/stream/${hex.toUpperCase()}/0/a.mkv?sig=x`), `/stream/${hex}/0/a.mkv?sig=x`)
  t.equal(at(`/playlist/${b32}.m3u`), `/playlist/${hex}.m3u`)
  t.equal(at(`/torrent/${hex.toUpperCase()}`), `/torrent/${hex}`)
  t.equal(at(`/hls/${b32}/1/playlist.m3u8`), `/hls/${hex}/1/playlist.m3u8`)
  t.equal(at(`/subtitles/${b32}/2.vtt?track=1`), `/subtitles/${hex}/2.vtt?track=1`)
  t.equal(at('/stream/not-a-hash/0'), null, 'malformed: the handler answers 400')
  t.equal(at(`/torrents?ih=${hex}`), null)
  t.equal(at('/health'), null)
})

t.test('/stream?magnet=: the first urn:btih: in lower-case hex; never redirected twice', async (t) => {
  const magnet = (ih: string): string => `/stream?magnet=${encodeURIComponent(`magnet:?xt=urn:btih:${ih}&dn=a&x.pe=127.0.0.1:1`)}&file=1`
  t.equal(at(magnet(hex)), null)
  const loc = at(magnet(b32))
  t.ok(loc !== null)
  const target = new URL(loc!, 'http://node')
  t.equal(target.searchParams.get('magnet'), `magnet:?xt=urn:btih:${hex}&dn=a&x.pe=127.0.0.1:1`)
  t.equal(target.searchParams.get('file'), '1')
  t.equal(at(loc!), null, 'the target is canonical')
  t.not(at(magnet(hex.toUpperCase())), null)
  t.equal(at(`/stream?magnet=${hex}`), null, 'a bare hex info-hash')
  t.equal(at(`/stream?magnet=${b32}`), `/stream?magnet=${hex}`)
  t.equal(at(`/stream?magnet=${encodeURIComponent(`MAGNET:?XT=URN:BTIH:${hex}`)}`), null, 'the balancer matches urn:btih: in any case')
  t.equal(at('/stream?magnet=garbage'), null, 'the handler answers 400')
})
