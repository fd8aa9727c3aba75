import type { IncomingMessage } from 'node:http'
import type ipaddr from 'ipaddr.js'
import proxyaddr from 'proxy-addr'
import { parseIp } from '../security/ip-policy.js'

type Trust = (addr: string, i: number) => boolean

/** server.trust_proxy compiled once per list (addresses, CIDRs, or proxy-addr's names such as `loopback`). */
const compiled = new WeakMap<readonly string[], Trust>()

function trustOf (trustProxy: readonly string[]): Trust {
  let trust = compiled.get(trustProxy)
  if (trust === undefined) {
    // An entry proxy-addr cannot read trusts nothing rather than failing every request.
    const usable = trustProxy.filter((p) => { try { proxyaddr.compile(p); return true } catch { return false } })
    trust = proxyaddr.compile([...usable])
    compiled.set(trustProxy, trust)
  }
  return trust
}

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
export function normalizeAddress (a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

/** Whether the direct peer of `req` is one of the configured reverse proxies (server.trust_proxy). */
export function fromTrustedProxy (req: IncomingMessage, trustProxy: readonly string[]): boolean {
  const peer = req.socket.remoteAddress
  return trustProxy.length > 0 && peer !== undefined && trustOf(trustProxy)(peer, 0)
}

/**
 * The client's address, for limits and logs: the socket's peer, or, when that peer is a
 * trusted proxy, the right-most X-Forwarded-For entry that is not itself a trusted proxy
 * (entries further left were written by the client and prove nothing). Garbage where the
 * client should be: the proxy's address.
 */
export function clientIp (req: IncomingMessage, trustProxy: readonly string[]): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '')
  if (trustProxy.length === 0) return peer
  const found = normalizeAddress(proxyaddr(req, trustOf(trustProxy)))
  return parseIp(found) === undefined ? peer : found
}

/**
 * The key requests and torrents are counted under: the address, or for IPv6 its /64 (one
 * subscriber usually holds a whole /64 and could otherwise rotate through it).
 */
export function clientKey (ip: string): string {
  const parsed = parseIp(ip)
  if (parsed === undefined || parsed.kind() === 'ipv4') return ip
  const { parts } = parsed as ipaddr.IPv6
  return `${parts.slice(0, 4).map((p) => p.toString(16)).join(':')}::/64`
}
