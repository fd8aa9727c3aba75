/**
 * The one parser of peer addresses (`host:port`, `[ipv6]:port`), as magnets' `x.pe`, trackers,
 * DHT and PEX give them. It reads them with the pattern WebTorrent itself splits them with
 * (addr-to-ip-port), so the checks and the dialler see the same host in odd inputs such as
 * `[127.0.0.1:80`.
 */

const PEER_ADDR = /^\[?([^\]]+)]?:(\d+)$/

/** Longest peer address read: a bracketed IPv6 address with a zone is far shorter. */
const MAX_PEER_LENGTH = 300

export interface PeerAddress {
  /** An IP literal or a host name, without brackets. */
  host: string
  /** 1-65535. */
  port: number
}

/** Why a peer address is refused. */
export type PeerAddressProblem = 'not host:port' | 'port outside 1-65535'

/** Parses a peer address, or says why it cannot be one. */
export function parsePeerAddress (text: string): PeerAddress | { problem: PeerAddressProblem } {
  const m = text.length <= MAX_PEER_LENGTH ? PEER_ADDR.exec(text) : null
  if (m === null) return { problem: 'not host:port' }
  const port = Number(m[2])
  if (!(port >= 1 && port <= 65535)) return { problem: 'port outside 1-65535' }
  return { host: m[1]!, port }
}

/** `ip:port`, or `[ipv6]:port` when the host holds a colon. */
export function formatPeerAddress ({ host, port }: PeerAddress): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}
