import ipaddr from 'ipaddr.js'
import t from 'tap'
import { BLOCKED_RANGES, classifyIp, describeIp, isBlockedIp, isBlockedPeer, parseIp, peerBlocklist } from '../../../src/security/ip-policy.js'
import type { IpRange } from '../../../src/security/ip-policy.js'

// [input, canonical address, range, blocked]
const TABLE: Array<[string, string, IpRange, boolean]> = [
  // IPv4, one or two per range, with edges
  ['0.0.0.0', '0.0.0.0', 'unspecified', true],
  ['0.1.2.3', '0.1.2.3', 'unspecified', true],
  ['10.0.0.1', '10.0.0.1', 'private', true],
  ['10.255.255.255', '10.255.255.255', 'private', true],
  ['100.64.0.1', '100.64.0.1', 'carrierGradeNat', true],
  ['100.127.255.254', '100.127.255.254', 'carrierGradeNat', true],
  ['100.63.255.255', '100.63.255.255', 'unicast', false],
  ['100.128.0.0', '100.128.0.0', 'unicast', false],
  ['127.0.0.1', '127.0.0.1', 'loopback', true],
  ['127.255.255.254', '127.255.255.254', 'loopback', true],
  ['169.254.169.254', '169.254.169.254', 'linkLocal', true],
  ['172.16.0.1', '172.16.0.1', 'private', true],
  ['172.31.255.255', '172.31.255.255', 'private', true],
  ['172.15.255.255', '172.15.255.255', 'unicast', false],
  ['172.32.0.0', '172.32.0.0', 'unicast', false],
  ['192.0.0.8', '192.0.0.8', 'reserved', true],
  ['192.0.2.1', '192.0.2.1', 'documentation', true],
  ['192.88.99.1', '192.88.99.1', 'reserved', true],
  ['192.168.1.1', '192.168.1.1', 'private', true],
  ['198.18.0.1', '198.18.0.1', 'benchmarking', true],
  ['198.19.255.255', '198.19.255.255', 'benchmarking', true],
  ['198.51.100.7', '198.51.100.7', 'documentation', true],
  ['203.0.113.9', '203.0.113.9', 'documentation', true],
  ['224.0.0.1', '224.0.0.1', 'multicast', true],
  ['239.255.255.250', '239.255.255.250', 'multicast', true],
  ['240.0.0.1', '240.0.0.1', 'reserved', true],
  ['255.255.255.255', '255.255.255.255', 'broadcast', true],
  ['8.8.8.8', '8.8.8.8', 'unicast', false],
  ['1.1.1.1', '1.1.1.1', 'unicast', false],
  ['93.184.216.34', '93.184.216.34', 'unicast', false],
  ['192.175.48.1', '192.175.48.1', 'unicast', false], // AS112 is globally reachable
  // IPv4 numeric forms, as inet_aton (and the WHATWG URL parser) read them
  ['0', '0.0.0.0', 'unspecified', true],
  ['2130706433', '127.0.0.1', 'loopback', true],
  ['0177.0.0.1', '127.0.0.1', 'loopback', true],
  ['0x7f.1', '127.0.0.1', 'loopback', true],
  ['0x7F.0.0.1', '127.0.0.1', 'loopback', true],
  ['127.1', '127.0.0.1', 'loopback', true],
  ['127.0.1', '127.0.0.1', 'loopback', true],
  ['0x7f000001', '127.0.0.1', 'loopback', true],
  ['017700000001', '127.0.0.1', 'loopback', true],
  ['0xA9.0xFE.0xA9.0xFE', '169.254.169.254', 'linkLocal', true],
  ['3232235777', '192.168.1.1', 'private', true],
  ['10.1', '10.0.0.1', 'private', true],
  ['134744072', '8.8.8.8', 'unicast', false],
  ['0x08.0x08.0x08.0x08', '8.8.8.8', 'unicast', false],
  ['010.0.0.1', '8.0.0.1', 'unicast', false], // octal: not 10.0.0.1
  // IPv6
  ['::', '::', 'unspecified', true],
  ['::1', '::1', 'loopback', true],
  ['[::1]', '::1', 'loopback', true],
  ['0:0:0:0:0:0:0:1', '::1', 'loopback', true],
  ['fe80::1', 'fe80::1', 'linkLocal', true],
  ['fe80::1%eth0', 'fe80::1', 'linkLocal', true],
  ['febf::1', 'febf::1', 'linkLocal', true],
  ['fc00::1', 'fc00::1', 'uniqueLocal', true],
  ['fd12:3456:789a::1', 'fd12:3456:789a::1', 'uniqueLocal', true],
  ['fec0::1', 'fec0::1', 'siteLocal', true],
  ['ff02::1', 'ff02::1', 'multicast', true],
  ['FF05::1:3', 'ff05::1:3', 'multicast', true],
  ['100::1', '100::1', 'discard', true],
  ['2001:db8::1', '2001:db8::1', 'documentation', true],
  ['3fff::1', '3fff::1', 'documentation', true],
  ['2001:2::1', '2001:2::1', 'benchmarking', true],
  ['2001:10::1', '2001:10::1', 'reserved', true],
  ['4000::1', '4000::1', 'reserved', true],
  ['5f00::1', '5f00::1', 'reserved', true],
  ['::ffff:0:7f00:1', '::ffff:0:7f00:1', 'reserved', true], // RFC 6145 IPv4-translated
  ['2606:4700:4700::1111', '2606:4700:4700::1111', 'unicast', false],
  ['2a00:1450:4001:81b::200e', '2a00:1450:4001:81b::200e', 'unicast', false],
  // IPv6 forms that carry IPv4
  ['::ffff:127.0.0.1', '::ffff:7f00:1', 'ipv4Mapped', true],
  ['::ffff:7f00:1', '::ffff:7f00:1', 'ipv4Mapped', true],
  ['[::ffff:10.1.2.3]', '::ffff:a01:203', 'ipv4Mapped', true],
  ['::ffff:169.254.169.254', '::ffff:a9fe:a9fe', 'ipv4Mapped', true],
  ['::ffff:8.8.8.8', '::ffff:808:808', 'ipv4Mapped', false],
  ['::127.0.0.1', '::7f00:1', 'ipv4Compatible', true],
  ['::7f00:1', '::7f00:1', 'ipv4Compatible', true],
  ['::8.8.8.8', '::808:808', 'ipv4Compatible', true], // deprecated: never a destination
  ['::1:1.2.3.4', '::1:102:304', 'reserved', true],
  ['64:ff9b::127.0.0.1', '64:ff9b::7f00:1', 'nat64', true],
  ['64:ff9b::a00:1', '64:ff9b::a00:1', 'nat64', true],
  ['64:ff9b::8.8.8.8', '64:ff9b::808:808', 'nat64', false],
  ['64:ff9b:1::1', '64:ff9b:1::1', 'reserved', true],
  ['2002:7f00:1::1', '2002:7f00:1::1', '6to4', true],
  ['2002:c0a8:101::1', '2002:c0a8:101::1', '6to4', true],
  ['2002:808:808::1', '2002:808:808::1', '6to4', false],
  // Teredo: server 65.54.227.120, client 192.0.2.45 (documentation) / 8.8.8.8; server 10.0.0.1
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo', true],
  ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', '2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'teredo', false],
  ['2001:0:a00:1:8000:63bf:f7f7:f7f7', '2001:0:a00:1:8000:63bf:f7f7:f7f7', 'teredo', true]
]

t.test('classification table', async (t) => {
  t.ok(TABLE.length >= 60, `${TABLE.length} addresses`)
  for (const [input, address, range, blocked] of TABLE) {
    const c = classifyIp(input)
    t.match(c, { address, range, blocked }, input)
    t.equal(isBlockedIp(input), blocked, `isBlockedIp ${input}`)
  }
})

t.test('embedded IPv4 is reported and described', async (t) => {
  const mapped = classifyIp('::ffff:127.0.0.1')
  t.same(mapped?.embedded?.map((e) => [e.address, e.range]), [['127.0.0.1', 'loopback']])
  t.equal(mapped !== undefined && describeIp(mapped), 'ipv4Mapped(127.0.0.1 loopback)')
  const teredo = classifyIp('2001:0:4136:e378:8000:63bf:3fff:fdd2')
  t.same(teredo?.embedded?.map((e) => [e.address, e.range]), [['65.54.227.120', 'unicast'], ['192.0.2.45', 'documentation']])
  const sixToFour = classifyIp('2002:c0a8:101::1')
  t.same(sixToFour?.embedded?.map((e) => e.address), ['192.168.1.1'])
  t.equal(classifyIp('10.0.0.1')?.family, 4)
  t.equal(classifyIp('::1')?.family, 6)
})

t.test('anything that is not an IP literal is undefined, and blocked', async (t) => {
  const notIps = [
    '', 'localhost', 'example.com', '127.0.0.1.nip.io', '1.2.3.4.5', '256.0.0.1', '1.2.3.256', '08.0.0.1',
    '4294967296', '0x100000000', ' 127.0.0.1', '127.0.0.1 ', '127.0.0.1.', '-1', '1e3',
    '::ffff:0x7f.0.0.1', '::ffff:127.0.0.01', '::ffff:127.1', '1:2:3:4:5:6:7:8:9', '1::2::3', '12345::1',
    '[::1', '::1]', 'fe80::1%eth0/x', 'gggg::1', ':::'
  ]
  for (const s of notIps) {
    t.equal(classifyIp(s), undefined, JSON.stringify(s))
    t.equal(parseIp(s), undefined, `parseIp ${JSON.stringify(s)}`)
    t.equal(isBlockedIp(s), true, `fails closed: ${JSON.stringify(s)}`)
  }
})

t.test('peers: ip:port and [ipv6]:port as WebTorrent splits them; fails closed', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['127.0.0.1:6881', true],
    ['8.8.8.8:6881', false],
    ['[::1]:6881', true],
    ['::1:6881', true], // addr-to-ip-port reads host '::1'
    ['[2606:4700:4700::1111]:6881', false],
    ['[::ffff:127.0.0.1]:22', true],
    ['[::ffff:8.8.8.8]:22', false],
    ['[127.0.0.1:80', true], // the same odd split WebTorrent makes
    ['0x7f.1:22', true],
    ['2130706433:22', true],
    ['[fe80::1%eth0]:6881', true],
    ['10.0.0.1:6881', true],
    ['localhost:6881', true], // a name would need DNS
    ['8.8.8.8:0', true],
    ['8.8.8.8:65536', true],
    ['8.8.8.8', true],
    ['', true],
    [':6881', true]
  ]
  for (const [peer, blocked] of cases) t.equal(isBlockedPeer(peer), blocked, peer)
})

t.test('BLOCKED_RANGES: every range classifies as blocked at both ends', async (t) => {
  for (const r of BLOCKED_RANGES) {
    const [net, bits] = ipaddr.parseCIDR(r.cidr)
    const first = r.family === 4 ? ipaddr.IPv4.networkAddressFromCIDR(r.cidr) : ipaddr.IPv6.networkAddressFromCIDR(r.cidr)
    const last = r.family === 4 ? ipaddr.IPv4.broadcastAddressFromCIDR(r.cidr) : ipaddr.IPv6.broadcastAddressFromCIDR(r.cidr)
    t.equal(net.toString(), first.toString(), `${r.cidr} is a network address`)
    t.ok(bits >= 0)
    t.equal(classifyIp(first.toString())?.blocked, true, `${r.cidr} first`)
    t.equal(classifyIp(last.toString())?.blocked, true, `${r.cidr} last`)
  }
  t.ok(BLOCKED_RANGES.some((r) => r.cidr === 'fc00::/7'), 'IPv6 ranges are listed')
  t.ok(Object.isFrozen(BLOCKED_RANGES))
})

interface IpSet { contains: (address: string) => boolean }
// What WebTorrent 3.0.21 calls with its `blocklist` option (untyped, hence the typed import).
const loadIpSetSpecifier: string = 'load-ip-set'
const { default: loadIPSet } = await import(loadIpSetSpecifier) as {
  default: (list: string[], opts: object, cb: (err: Error | null, set: IpSet) => void) => void
}
const loadSet = async (list: string[]): Promise<IpSet> => await new Promise((resolve, reject) => {
  loadIPSet(list, {}, (err, set) => { err !== null && err !== undefined ? reject(err) : resolve(set) })
})

t.test('peerBlocklist loads into WebTorrent\'s load-ip-set and agrees with the IPv4 table', async (t) => {
  const list = peerBlocklist()
  t.ok(list.every((c) => /^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(c)), 'IPv4 CIDR strings only')
  const set = await loadSet(list)
  for (const [input, address, , blocked] of TABLE) {
    if (classifyIp(input)?.family !== 4) continue
    t.equal(set.contains(address), blocked, `blocklist ${address}`)
  }
})

t.test('ip-set is IPv4-only: IPv6 peers fall into 0.0.0.0/8, IPv6 CIDRs would be bogus', async (t) => {
  const withZero = await loadSet(peerBlocklist())
  t.equal(withZero.contains('2606:4700:4700::1111'), true, 'a public IPv6 peer is refused while 0.0.0.0/8 is listed')
  t.equal(withZero.contains('::1'), true)
  const without = await loadSet(peerBlocklist({ ipv6Peers: true }))
  t.notOk(peerBlocklist({ ipv6Peers: true }).includes('0.0.0.0/8'))
  t.equal(without.contains('2606:4700:4700::1111'), false, 'IPv6 peers pass the blocklist...')
  t.equal(without.contains('::1'), false, '...including ::1, so isBlockedPeer must filter them')
  t.equal(without.contains('0.0.0.0'), false, '...and 0.0.0.0 itself')
  t.equal(isBlockedPeer('[::1]:6881') && isBlockedPeer('0.0.0.0:6881'), true)
  // Why no IPv6 CIDR is ever handed to WebTorrent's blocklist:
  const bogus = await loadSet(['::1/128'])
  t.equal(bogus.contains('8.8.8.8'), true, 'ip-set turns ::1/128 into 0.0.0.0-255.255.255.255')
  const ula = await loadSet(['fc00::/7'])
  t.equal(ula.contains('1.1.1.1'), true, 'and fc00::/7 into 0.0.0.0-1.255.255.255')
  // Nor an 'a-b' range string: only load-ip-set's file/URL reader parses those.
  const dash = await loadSet(['1.2.3.4-1.2.3.9'])
  t.equal(dash.contains('1.2.3.5'), false, 'a range string in an array is misread')
})
