import t from 'tap'
import { formatPeerAddress, parsePeerAddress } from '../../../src/input/peer-address.js'

t.test('peer addresses are read as WebTorrent reads them', async (t) => {
  t.same(parsePeerAddress('1.2.3.4:6881'), { host: '1.2.3.4', port: 6881 })
  t.same(parsePeerAddress('[::1]:80'), { host: '::1', port: 80 })
  t.same(parsePeerAddress('[127.0.0.1:80'), { host: '127.0.0.1', port: 80 }, 'odd bracket, as addr-to-ip-port')
  t.same(parsePeerAddress('host.example:1'), { host: 'host.example', port: 1 })
  t.same(parsePeerAddress('1.2.3.4'), { problem: 'not host:port' })
  t.same(parsePeerAddress('1.2.3.4:0'), { problem: 'port outside 1-65535' })
  t.same(parsePeerAddress('1.2.3.4:65536'), { problem: 'port outside 1-65535' })
  t.same(parsePeerAddress('a'.repeat(400) + ':1'), { problem: 'not host:port' }, 'bounded length')
  t.equal(formatPeerAddress({ host: '::1', port: 5 }), '[::1]:5')
  t.equal(formatPeerAddress({ host: '1.2.3.4', port: 5 }), '1.2.3.4:5')
})
