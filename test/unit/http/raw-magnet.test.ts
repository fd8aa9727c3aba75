import t from 'tap'
import { splitMagnetQuery } from '../../../src/http/raw-magnet.js'

const IH = 'c9e15763f722f23e98a29decdfae341b98d53056'
const OWN = ['magnet', 'file']

t.test('an unencoded magnet keeps its own parts; the route keeps its parameters', async (t) => {
  const raw = `magnet:?xt=urn:btih:${IH}&dn=film&tr=http://127.0.0.1:9/announce&x.pe=127.0.0.1:6881`
  const a = splitMagnetQuery(`?magnet=${raw}&file=2&exp=9&sig=abc`, OWN)
  t.equal(a.magnet, raw)
  t.equal(a.params.get('file'), '2')
  t.equal(a.params.get('exp'), '9')
  const b = splitMagnetQuery(`?file=1&magnet=${raw}`, OWN)
  t.equal(b.magnet, raw)
  t.equal(b.params.get('file'), '1')
})

t.test('an encoded magnet is decoded as one value; other parameters are not its', async (t) => {
  const magnet = `magnet:?xt=urn:btih:${IH}&tr=${encodeURIComponent('http://127.0.0.1:9/a?b=c')}`
  const a = splitMagnetQuery(`?magnet=${encodeURIComponent(magnet)}&file=0&utm=x`, OWN)
  t.equal(a.magnet, magnet)
  t.equal(a.params.get('file'), '0')
  t.equal(splitMagnetQuery(`?magnet=${IH}`, OWN).magnet, IH, 'a bare info-hash')
  t.equal(splitMagnetQuery('?file=1', OWN).magnet, null)
  t.throws(() => splitMagnetQuery('?magnet=%E0%A4%A', OWN), { code: 'TOD_ERR_BAD_QUERY' })
})
