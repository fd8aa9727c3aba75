import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { clientIp, clientKey } from '../../../src/http/client-ip.js'

const req = (remoteAddress: string, xff?: string): IncomingMessage =>
  ({ socket: { remoteAddress }, headers: xff !== undefined ? { 'x-forwarded-for': xff } : {} }) as unknown as IncomingMessage

t.test('X-Forwarded-For only from trusted proxies, right-most untrusted hop', async (t) => {
  t.equal(clientIp(req('203.0.113.9', '1.2.3.4'), []), '203.0.113.9', 'untrusted peer: header ignored')
  t.equal(clientIp(req('::ffff:10.0.0.1', '6.6.6.6, 1.2.3.4'), ['10.0.0.1']), '1.2.3.4', 'spoofed left entries ignored')
  t.equal(clientIp(req('10.0.0.1', '1.2.3.4, 10.0.0.2'), ['10.0.0.1', '10.0.0.2']), '1.2.3.4', 'a chain of proxies')
  t.equal(clientIp(req('10.0.0.1', 'garbage'), ['10.0.0.1']), '10.0.0.1', 'garbage: the proxy itself')
  t.equal(clientIp(req('10.0.0.1'), ['10.0.0.1']), '10.0.0.1')
})

t.test('IPv6 clients are counted per /64', async (t) => {
  t.equal(clientKey('2001:db8:1:2:aaaa::1'), clientKey('2001:db8:1:2:bbbb::2'))
  t.not(clientKey('2001:db8:1:3::1'), clientKey('2001:db8:1:2::1'))
  t.equal(clientKey('198.51.100.7'), '198.51.100.7')
})
