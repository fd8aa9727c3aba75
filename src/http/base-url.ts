import type { IncomingMessage } from 'node:http'
import { fromTrustedProxy } from './client-ip.js'

/**
 * The absolute base URL a client used to reach us, for playlists and documents: server.public_url
 * when set (a balancer in front of several nodes: every URL handed out points at it). Otherwise
 * host and scheme come from the request; X-Forwarded-Proto/-Host are believed only when the
 * direct peer is one of the configured proxies (server.trust_proxy), since anyone can send them.
 */
export function baseUrl (req: IncomingMessage, trustProxy: readonly string[], publicUrl = ''): string {
  if (publicUrl !== '') return publicUrl
  const trusted = fromTrustedProxy(req, trustProxy)
  const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim()
  let proto = 'encrypted' in req.socket && req.socket.encrypted === true ? 'https' : 'http'
  let host = req.headers.host ?? 'localhost'
  if (trusted) {
    const fProto = first(req.headers['x-forwarded-proto'])
    const fHost = first(req.headers['x-forwarded-host'])
    if (fProto === 'http' || fProto === 'https') proto = fProto
    if (fHost !== undefined && fHost !== '') host = fHost
  }
  // A Host header is client text: keep only what a host[:port] can hold.
  if (!/^[A-Za-z0-9.\-:[\]]+$/.test(host)) host = 'localhost'
  return `${proto}://${host}`
}
