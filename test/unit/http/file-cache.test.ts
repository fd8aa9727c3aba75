import t from 'tap'
import { FileCache } from '../../../src/http/file-cache.js'
import type { FileInfo } from '../../../src/protocol.js'

const IH = 'a'.repeat(40)
const file = (id: number): FileInfo => ({ id, name: `f${id}.mp4`, path: `d/f${id}.mp4`, size: 1000 + id, mime: 'video/mp4' })

t.test('remembers files by info-hash and id, without extra fields', async (t) => {
  const cache = new FileCache()
  t.equal(cache.get(IH, 0), undefined)
  cache.put(IH, { ...file(0), progress: 0.5 } as FileInfo)
  t.same(cache.get(IH, 0), file(0))
  t.notOk('progress' in (cache.get(IH, 0) ?? {}), 'only the immutable description is kept')
  t.equal(cache.get('b'.repeat(40), 0), undefined, 'another torrent')
  t.equal(cache.get(IH, 1), undefined, 'another file')
})

t.test('a whole torrent document at once', async (t) => {
  const cache = new FileCache()
  cache.putTorrent({ infoHash: IH, name: 'd', size: 3003, pieceLength: 16384, files: [file(0), file(1), file(2)] })
  t.same([0, 1, 2].map((i) => cache.get(IH, i)?.size), [1000, 1001, 1002])
})

t.test('bounded: the least recently used entry goes first', async (t) => {
  const cache = new FileCache(3)
  for (const i of [0, 1, 2]) cache.put(IH, file(i))
  cache.get(IH, 0) // 0 is now the most recent; 1 the oldest
  cache.put(IH, file(3))
  t.equal(cache.get(IH, 1), undefined, 'the oldest was dropped')
  t.ok(cache.get(IH, 0) !== undefined && cache.get(IH, 2) !== undefined && cache.get(IH, 3) !== undefined)
})
