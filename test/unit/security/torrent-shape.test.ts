import t from 'tap'
import { geometryProblem, layoutProblem } from '../../../src/security/torrent-shape.js'

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
