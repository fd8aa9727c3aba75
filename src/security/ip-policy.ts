import ipaddr from 'ipaddr.js'
import { parsePeerAddress } from '../input/peer-address.js'

/**
 * Which addresses tod-p2m refuses to contact on a stranger's behalf (trackers, web seeds, exact
 * sources, peers). Anything that is not globally reachable unicast is blocked: loopback,
 * RFC 1918, link-local, CGNAT, multicast, broadcast, unspecified, documentation, benchmarking and
 * reserved ranges, IPv6 ULA/site-local, and IPv6 forms that carry such an IPv4 address (mapped,
 * NAT64, 6to4, Teredo). One table drives both the classifier and WebTorrent's peer blocklist.
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6

/** The range an address falls in; `unicast` is the only IPv4 range that is allowed. */
export type IpRange =
  | 'unicast' | 'unspecified' | 'broadcast' | 'loopback' | 'private' | 'linkLocal'
  | 'carrierGradeNat' | 'multicast' | 'reserved' | 'documentation' | 'benchmarking'
  | 'uniqueLocal' | 'siteLocal' | 'discard' | 'ipv4Compatible'
  // IPv6 forms that carry an IPv4 address; blocked when that address is.
  | 'ipv4Mapped' | 'nat64' | '6to4' | 'teredo'

/** What {@link classifyIp} says about one address. */
export interface IpClass {
  /** Canonical text: dotted decimal, or RFC 5952 IPv6 without a zone. */
  address: string
  family: 4 | 6
  range: IpRange
  blocked: boolean
  /** IPv4 addresses carried inside an IPv6 address (mapped, NAT64, 6to4, Teredo server and client). */
  embedded?: readonly IpClass[]
}

/** One entry of {@link BLOCKED_RANGES}. */
export interface BlockedRange {
  cidr: string
  family: 4 | 6
  range: IpRange
}

interface Rule {
  net: [Address, number]
  cidr: string
  range: IpRange
  /** For ranges that embed IPv4: where the IPv4 address(es) sit. Blocked iff one of them is. */
  embedded?: (a: ipaddr.IPv6) => ipaddr.IPv4[]
}

function rule (cidr: string, range: IpRange, embedded?: Rule['embedded']): Rule {
  return { net: ipaddr.parseCIDR(cidr), cidr, range, ...(embedded !== undefined ? { embedded } : {}) }
}

function v4FromParts (hi: number, lo: number): ipaddr.IPv4 {
  return new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff])
}

const last32 = (a: ipaddr.IPv6): ipaddr.IPv4[] => [v4FromParts(a.parts[6] ?? 0, a.parts[7] ?? 0)]

// First match wins, so narrower ranges come before the ranges that contain them.
const V4_RULES: readonly Rule[] = [
  rule('0.0.0.0/8', 'unspecified'), // "this network"; Linux connects 0.0.0.0 to the local host
  rule('10.0.0.0/8', 'private'),
  rule('100.64.0.0/10', 'carrierGradeNat'),
  rule('127.0.0.0/8', 'loopback'),
  rule('169.254.0.0/16', 'linkLocal'), // includes cloud metadata at 169.254.169.254
  rule('172.16.0.0/12', 'private'),
  rule('192.0.0.0/24', 'reserved'), // IETF protocol assignments
  rule('192.0.2.0/24', 'documentation'),
  rule('192.88.99.0/24', 'reserved'), // deprecated 6to4 relay anycast (RFC 7526)
  rule('192.168.0.0/16', 'private'),
  rule('198.18.0.0/15', 'benchmarking'),
  rule('198.51.100.0/24', 'documentation'),
  rule('203.0.113.0/24', 'documentation'),
  rule('224.0.0.0/4', 'multicast'),
  rule('255.255.255.255/32', 'broadcast'),
  rule('240.0.0.0/4', 'reserved')
]

const V6_RULES: readonly Rule[] = [
  rule('::/128', 'unspecified'),
  rule('::1/128', 'loopback'),
  rule('::ffff:0:0/96', 'ipv4Mapped', last32),
  rule('::/96', 'ipv4Compatible'), // deprecated (RFC 4291); never a real destination
  rule('64:ff9b::/96', 'nat64', last32), // RFC 6052 well-known prefix
  rule('64:ff9b:1::/48', 'reserved'), // RFC 8215 local-use NAT64: IPv4 position is site-defined
  rule('100::/64', 'discard'),
  rule('2001::/32', 'teredo', (a) => [
    v4FromParts(a.parts[2] ?? 0, a.parts[3] ?? 0), // server
    v4FromParts((a.parts[6] ?? 0) ^ 0xffff, (a.parts[7] ?? 0) ^ 0xffff) // client, obfuscated
  ]),
  rule('2001:2::/48', 'benchmarking'),
  rule('2001:db8::/32', 'documentation'),
  rule('2001::/23', 'reserved'), // IETF protocol assignments (ORCHID, AMT, ...)
  rule('2002::/16', '6to4', (a) => [v4FromParts(a.parts[1] ?? 0, a.parts[2] ?? 0)]),
  rule('3fff::/20', 'documentation'),
  rule('fc00::/7', 'uniqueLocal'),
  rule('fe80::/10', 'linkLocal'),
  rule('fec0::/10', 'siteLocal'),
  rule('ff00::/8', 'multicast'),
  rule('2000::/3', 'unicast'),
  // Everything outside global unicast 2000::/3 that no rule above named (the rest of ::/8,
  // 4000::/2, 5f00::/16 SRv6 SIDs, ...) is unassigned or special.
  rule('::/0', 'reserved')
]

/**
 * Every blocked range, IPv4 and IPv6. IPv6 forms that embed an IPv4 address (mapped, NAT64,
 * 6to4, Teredo) are not listed: they are blocked per address, by what they carry.
 */
export const BLOCKED_RANGES: readonly BlockedRange[] = Object.freeze([
  ...V4_RULES.map((r) => ({ cidr: r.cidr, family: 4 as const, range: r.range })),
  ...V6_RULES.filter((r) => r.range !== 'unicast' && r.embedded === undefined && r.cidr !== '::/0')
    .map((r) => ({ cidr: r.cidr, family: 6 as const, range: r.range }))
])

const DOTTED_V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const ZONE = /%[\w.-]+$/

/**
 * Parses an IP literal the way the system resolver does: IPv4 in any inet_aton form (decimal
 * `2130706433`, octal `0177.0.0.1`, hex `0x7f.1`, short `127.1`), IPv6 with or without brackets
 * and zone. Answers undefined for anything else (host names included).
 */
export function parseIp (text: string): Address | undefined {
  let s = text
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1)
  if (s.includes(':')) {
    s = s.replace(ZONE, '')
    const dot = s.lastIndexOf(':')
    const tail = s.slice(dot + 1)
    // ipaddr.js reads the IPv4 tail of an IPv6 literal with parseInt (so `::ffff:0x7f.0.0.1`
    // would pass) and turns `::a.b.c.d` into a mapped address; inet_pton takes neither, so the
    // tail must be strict dotted decimal and the compatible form is built here.
    if (tail.includes('.')) {
      if (!DOTTED_V4.test(tail)) return undefined
      if (s === `::${tail}`) {
        const v4 = ipaddr.IPv4.parse(tail).octets
        return new ipaddr.IPv6([0, 0, 0, 0, 0, 0, (v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!])
      }
    }
    if (!ipaddr.IPv6.isValid(s)) return undefined
    const parts = ipaddr.IPv6.parse(s).parts
    return new ipaddr.IPv6(parts) // drops the zone
  }
  return ipaddr.IPv4.isValid(s) ? ipaddr.IPv4.parse(s) : undefined
}

function classify (addr: Address): IpClass {
  if (addr.kind() === 'ipv4') {
    const a = addr as ipaddr.IPv4
    const r = V4_RULES.find((x) => x.net[0].kind() === 'ipv4' && a.match(x.net))
    const range = r?.range ?? 'unicast'
    return { address: a.toString(), family: 4, range, blocked: range !== 'unicast' }
  }
  const a = addr as ipaddr.IPv6
  const r = V6_RULES.find((x) => a.match(x.net))
  // '::/0' is last, so some rule always matches.
  const range = r?.range ?? 'reserved'
  const address = a.toRFC5952String()
  if (r?.embedded !== undefined) {
    const embedded = r.embedded(a).map(classify)
    return { address, family: 6, range, blocked: embedded.some((e) => e.blocked), embedded }
  }
  return { address, family: 6, range, blocked: range !== 'unicast' }
}

/** Classifies an IP literal (any form {@link parseIp} takes); undefined when it is not one. */
export function classifyIp (text: string): IpClass | undefined {
  const addr = parseIp(text)
  return addr === undefined ? undefined : classify(addr)
}

/** True unless `text` is an IP literal in an allowed range: anything unparseable is blocked. */
export function isBlockedIp (text: string): boolean {
  return classifyIp(text)?.blocked ?? true
}

/** Short text for logs: `loopback`, `ipv4Mapped(127.0.0.1 loopback)`. */
export function describeIp (c: IpClass): string {
  if (c.embedded === undefined) return c.range
  return `${c.range}(${c.embedded.map((e) => `${e.address} ${e.range}`).join(', ')})`
}

/**
 * Whether WebTorrent must not dial a peer given as `ip:port`, `[ipv6]:port` (what trackers, DHT
 * and PEX produce). Fails closed: a peer that does not parse, a port outside 1-65535, or a host
 * name (which would need a DNS lookup) is blocked.
 */
export function isBlockedPeer (peer: string): boolean {
  // Read as WebTorrent reads it (src/input/peer-address.ts), so both see the same host.
  const parsed = parsePeerAddress(peer)
  return 'problem' in parsed || isBlockedIp(parsed.host)
}

/**
 * The IPv4 part of {@link BLOCKED_RANGES} as CIDR strings, for WebTorrent's `blocklist` option.
 *
 * WebTorrent 3.0.21 passes an array straight to `ip-set` 2.2.0, whose address maths (`ip.toLong`)
 * is IPv4 only: an IPv6 CIDR there becomes a bogus IPv4 range (`::1/128` blocks every IPv4
 * address, `fc00::/7` blocks 0.0.0.0-1.255.255.255), so none is included; and an IPv6 peer, or a
 * host name, is read as a number in 0.0.0.0/8 (`2a01:4f8::1` as 0.0.0.2, `::1` as 0.0.0.0).
 * So while `0.0.0.0/8` is in the list, every IPv6 peer is refused as a side effect.
 *
 * @param options.ipv6Peers - true leaves `0.0.0.0/8` out so IPv6 peers can connect; only do this
 *   when every peer also goes through {@link isBlockedPeer}, which is then what blocks 0.0.0.0/8
 *   and the private IPv6 ranges.
 */
export function peerBlocklist (options: { ipv6Peers?: boolean } = {}): string[] {
  return BLOCKED_RANGES
    .filter((r) => r.family === 4 && !(options.ipv6Peers === true && r.cidr === '0.0.0.0/8'))
    .map((r) => r.cidr)
}
