import type { IncomingMessage } from 'node:http'
import type ipaddr from 'ipaddr.js'
import { parseIp } from '../security/ip-policy.js'

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
export function normalizeAddress (a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a
}

/** Whether the direct peer of `req` is one of the configured reverse proxies (server.trust_proxy). */
export function fromTrustedProxy (req: IncomingMessage, trustProxy: readonly string[]): boolean {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '')
  return trustProxy.some((p) => normalizeAddress(p) === peer)
}

/**
 * The client's address, for limits and logs: the socket's peer, or, when that peer is a
 * trusted proxy, the right-most X-Forwarded-For entry that is not itself a trusted proxy
 * (entries further left were written by the client and prove nothing).
 */
export function clientIp (req: IncomingMessage, trustProxy: readonly string[]): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '')
  if (!fromTrustedProxy(req, trustProxy)) return peer
  const header = req.headers['x-forwarded-for']
  const hops = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((h) => normalizeAddress(h.trim())).filter((h) => h !== '')
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string
    if (parseIp(hop) === undefined) return peer // garbage in the chain: trust nothing beyond the proxy
    if (!trustProxy.some((p) => normalizeAddress(p) === hop)) return hop
  }
  return peer
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
