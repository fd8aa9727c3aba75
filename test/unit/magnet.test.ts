import t from 'tap'
import { parseMagnet } from '../../src/magnet.js'

const IH = '2a7342b09ae2efd18290e989cfa7142dcc8edfe5'

t.test('a magnet gives its info-hash and stays as given', async (t) => {
  const m = `magnet:?xt=urn:btih:${IH.toUpperCase()}&dn=x&x.pe=127.0.0.1:6881`
  t.same(parseMagnet(m), { infoHash: IH, magnet: m })
  t.equal(parseMagnet('magnet:?xt=urn:btih:FJZUFME24LX5DAUQ5GE47JYUFXGI5X7F').infoHash, IH, 'base32 xt')
})

t.test('a bare info-hash becomes a magnet', async (t) => {
  t.same(parseMagnet(IH), { infoHash: IH, magnet: `magnet:?xt=urn:btih:${IH}` })
})

t.test('malformed magnets are TOD_ERR_BAD_MAGNET', async (t) => {
  const bad = [
    '', 'magnet:', 'magnet:?', 'magnet:?dn=foo', 'http://example.com/x.torrent', 'magnet:?xt=urn:btih:',
    'magnet:?xt=urn:btih:zz', `magnet:?xt=urn:sha1:${IH}`, 'magnet:?xt=urn:btih:' + '0'.repeat(39),
    'magnet:?xt=urn:btih:' + IH + '&' + 'a'.repeat(20000), '%%%', 'magnet:?xt=urn:btih:%ZZ'
  ]
  for (const b of bad) {
    t.throws(() => parseMagnet(b), { name: 'TodError', code: 'TOD_ERR_BAD_MAGNET' }, JSON.stringify(b.slice(0, 60)))
  }
})

t.test('the edge refuses magnets whose info-hashes disagree (issue 14)', async (t) => {
  const other = 'c9e15763f722f23e98a29decdfae341b98d53056'
  t.throws(() => parseMagnet(`magnet:?xt=urn:btih:${IH}&xt=urn:btih:${other}`), { code: 'TOD_ERR_BAD_MAGNET', message: /disagree/ })
  t.equal(parseMagnet(`magnet:?xt=urn:btih:${IH}&xt=urn:btih:FJZUFME24LX5DAUQ5GE47JYUFXGI5X7F`).infoHash, IH, 'hex and base32 of one hash')
})
