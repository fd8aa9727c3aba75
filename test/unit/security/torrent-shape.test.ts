import t from 'tap'
import { fileListError, filePathsError, geometryProblem, layoutError, layoutProblem } from '../../../src/security/torrent-shape.js'

t.test('geometry: sizes that WebTorrent would trust', async (t) => {
  t.equal(geometryProblem({ pieceLength: 262144, lengths: [1000, 0, 300000], pieceCount: 2 }), null)
  t.match(geometryProblem({ pieceLength: '262144', lengths: [1], pieceCount: 1 }), /piece length/)
  t.match(geometryProblem({ pieceLength: -1, lengths: [1], pieceCount: 1 }), /piece length/)
  t.match(geometryProblem({ pieceLength: 2 ** 40, lengths: [1], pieceCount: 1 }), /piece length/)
  t.match(geometryProblem({ pieceLength: 16384, lengths: [2 ** 53], pieceCount: 1 }), /file length/)
  t.match(geometryProblem({ pieceLength: 16384, lengths: [-5], pieceCount: 1 }), /file length/)
  t.match(geometryProblem({ pieceLength: 16384, lengths: [16385], pieceCount: 1 }), /piece hashes/)
})

t.test('layout: every file its own path under the root', async (t) => {
  const root = '/data/ih'
  t.equal(layoutProblem(root, ['/data/ih/a/b.mkv', '/data/ih/a/c.srt'], ['a/b.mkv', 'a/c.srt']), null)
  t.match(layoutProblem(root, ['/data/other'], ['x']), /outside/)
  t.match(layoutProblem(root, ['/data/ih/x'], ['x\u0000y']), /control character/)
  t.match(layoutProblem(root, [`/data/ih/${'n'.repeat(256)}`], ['n']), /longer than 255/)
  t.equal(layoutProblem(root, [`/data/ih/${'é'.repeat(127)}`], ['e']), null, '254 bytes is fine')
  t.match(layoutProblem(root, ['/data/ih/a', '/data/ih/a'], ['a', 'a']), /same path/)
  t.match(layoutProblem(root, ['/data/ih/a', '/data/ih/a/x'], ['a', 'a/x']), /folder that is also a file/)
  t.match(layoutProblem(root, ['/data/ih/a/x', '/data/ih/a'], ['a/x', 'a']), /folder that is also a file/, 'in either order')
})

t.test('file list: count and path bytes before any per-file work', async (t) => {
  const limits = { maxFiles: 3, maxPathBytes: 100 }
  t.equal(filePathsError(['a', 'b', 'c'], limits), null)
  t.match(filePathsError(['a', 'b', 'c', 'd'], limits), { code: 'TOD_ERR_TOO_MANY_FILES', status: 400 })
  t.match(filePathsError(['a'.repeat(60), 'b'.repeat(60)], limits), { code: 'TOD_ERR_TOO_MANY_FILES', message: /more than 100/ })
  let read = 0
  const endless = (function * () { for (;;) { read++; yield 1 } })()
  t.match(fileListError(1_000_000, endless, limits), { code: 'TOD_ERR_TOO_MANY_FILES' })
  t.equal(read, 0, 'the count alone refuses: no path was read')
  const long = 'p/'.repeat(2100)
  t.match(filePathsError([long], { maxFiles: 10, maxPathBytes: 1e6 }), { code: 'TOD_ERR_PATH_TOO_LONG', message: /file 0/ })
})

t.test('layout: a whole path beyond PATH_MAX is TOD_ERR_PATH_TOO_LONG', async (t) => {
  const root = '/data/ih'
  const deep = root + '/' + Array.from({ length: 17 }, () => 'd'.repeat(250)).join('/')
  t.match(layoutProblem(root, [deep], ['x']), /longer than 4095/)
  t.match(layoutError(root, [deep], ['x']), { code: 'TOD_ERR_PATH_TOO_LONG', status: 400 })
  t.notMatch(layoutError(root, [deep], ['x'])?.message, /ddd/, 'the path is not echoed')
  t.match(layoutError(root, ['/data/other'], ['x']), { code: 'TOD_ERR_UNSAFE_PATH', message: /outside/ })
  t.equal(layoutError(root, ['/data/ih/a'], ['a']), null)
})
