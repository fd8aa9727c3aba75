import bencode from 'bencode'
import t from 'tap'
import { parseTorrentFile } from '../../../src/input/torrent-file.js'
import { sanitizeTorrentFile } from '../../../src/security/sanitize.js'

const PIECE = 16384

function torrent (files: Array<{ length: number, path: string[] }>, name = 'root'): Uint8Array {
  const total = files.reduce((s, f) => s + f.length, 0)
  return bencode.encode({
    info: {
      name: Buffer.from(name),
      'piece length': PIECE,
      pieces: Buffer.alloc(20 * Math.ceil(total / PIECE)),
      files: files.map((f) => ({ length: f.length, path: f.path.map((p) => Buffer.from(p)) }))
    }
  })
}

t.test('an ordinary .torrent parses', async (t) => {
  const p = await parseTorrentFile(torrent([{ length: 10, path: ['a', 'b.mkv'] }, { length: 5, path: ['c.srt'] }]))
  t.match(p.infoHash, /^[0-9a-f]{40}$/)
  t.same(p.files.map((f) => f.path), ['root/a/b.mkv', 'root/c.srt'])
})

t.test('too many files is TOD_ERR_TOO_MANY_FILES, quickly', async (t) => {
  const files = Array.from({ length: 120_000 }, (_, i) => ({ length: 0, path: [`f${i}`] }))
  const file = torrent(files)
  const started = Date.now()
  await t.rejects(parseTorrentFile(file), { code: 'TOD_ERR_TOO_MANY_FILES', message: /120000 files/ })
  t.ok(Date.now() - started < 2000, 'refused before per-file work')
  await t.rejects(sanitizeTorrentFile(file, { allowPrivate: true }), { code: 'TOD_ERR_TOO_MANY_FILES' }, 'the sanitiser too')
  await t.rejects(parseTorrentFile(torrent(files.slice(0, 11)), { maxFiles: 10 }), { code: 'TOD_ERR_TOO_MANY_FILES' })
  t.ok(await parseTorrentFile(torrent(files.slice(0, 10)), { maxFiles: 10 }))
})

t.test('total path bytes are bounded', async (t) => {
  const files = Array.from({ length: 100 }, (_, i) => ({ length: 0, path: ['d'.repeat(200), `f${i}`] }))
  await t.rejects(parseTorrentFile(torrent(files), { maxPathBytes: 10_000 }), { code: 'TOD_ERR_TOO_MANY_FILES', message: /bytes of paths/ })
  t.ok(await parseTorrentFile(torrent(files), { maxPathBytes: 100_000 }))
  // 200,000 empty components still count: one byte each at least.
  const deep = torrent([{ length: 1, path: Array.from({ length: 200_000 }, () => '') }])
  await t.rejects(parseTorrentFile(deep), { code: 'TOD_ERR_PATH_TOO_LONG' })
  const deeper = torrent([{ length: 1, path: Array.from({ length: 200_000 }, () => '') }])
  await t.rejects(parseTorrentFile(deeper, { maxPathBytes: 1000 }), { code: 'TOD_ERR_TOO_MANY_FILES' })
})

t.test('a whole path beyond PATH_MAX is TOD_ERR_PATH_TOO_LONG, without the path', async (t) => {
  // Every component within NAME_MAX, the whole path not.
  const parts = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, 'p'))
  const file = torrent([{ length: 1, path: parts }, { length: 1, path: ['ok'] }])
  const err = await parseTorrentFile(file).then(() => null, (e: unknown) => e as Error & { code?: string })
  t.equal(err?.code, 'TOD_ERR_PATH_TOO_LONG')
  t.match(err?.message, /file 0\b/)
  t.notMatch(err?.message, /ppp/, 'the path is not echoed')
  // 3800 bytes fit on their own but not under a long data folder.
  const fits = torrent([{ length: 1, path: parts.slice(0, 15) }])
  t.ok(await parseTorrentFile(fits))
  await t.rejects(parseTorrentFile(fits, { dataDir: '/' + 'x'.repeat(250) + '/' + 'y'.repeat(200) }), { code: 'TOD_ERR_PATH_TOO_LONG' })
})

t.test('the edge and the sanitiser read path.utf-8 as parse-torrent does', async (t) => {
  const file = bencode.encode({
    info: {
      name: Buffer.from('n'),
      'piece length': PIECE,
      pieces: Buffer.alloc(20),
      files: [{ length: 1, path: [Buffer.from('short')], 'path.utf-8': Array.from({ length: 20 }, () => Buffer.from('u'.repeat(250))) }]
    }
  })
  await t.rejects(parseTorrentFile(file), { code: 'TOD_ERR_PATH_TOO_LONG' })
})

t.test('garbage is TOD_ERR_BAD_TORRENT', async (t) => {
  for (const bad of [Buffer.from('nope'), Buffer.alloc(20), bencode.encode({ info: 'x' }), bencode.encode([1])]) {
    await t.rejects(parseTorrentFile(bad), { code: 'TOD_ERR_BAD_TORRENT' })
  }
})
