import type { Socket } from 'node:net'
import type WebTorrent from 'webtorrent'
import type { Torrent } from 'webtorrent'
import type { Logger } from '../log.js'
import { isBlockedIp, isBlockedPeer } from '../security/ip-policy.js'

/** The part of WebTorrent's connection pool (lib/conn-pool.js) that takes incoming connections. */
interface ConnPool { _onConnection: (conn: Socket, type: string) => void }

/**
 * Every peer WebTorrent would dial — from x.pe, trackers, DHT, LSD or PEX — goes through
 * torrent.addPeer; a wrapper refuses the non-public ones there.
 */
export function guardOutgoing (infoHash: string, torrent: Torrent, log: Logger): void {
  const addPeer = torrent.addPeer.bind(torrent)
  torrent.addPeer = (peer: string | object, source?: string): boolean => {
    if (typeof peer === 'string' && isBlockedPeer(peer)) {
      log.debug('peer refused', { infoHash, peer, source })
      return false
    }
    return addPeer(peer, source)
  }
}

/**
 * Closes incoming peer connections from non-public addresses (IPv4 and IPv6) before a byte is
 * read or written. WebTorrent 3 checks its blocklist only for peers it dials; incoming TCP
 * connections reach the connection pool's _onConnection (lib/conn-pool.js), which is wrapped
 * here. Without a pool (no listening port) there is nothing to guard.
 */
export function guardIncoming (client: WebTorrent, log: Logger): void {
  const pool = (client as unknown as { _connPool?: ConnPool | null })._connPool
  if (pool === undefined || pool === null) return
  const onConnection = pool._onConnection.bind(pool)
  pool._onConnection = (conn, type) => {
    const address = conn.remoteAddress
    if (address === undefined || isBlockedIp(address)) {
      log.debug('incoming peer refused', { peer: address })
      conn.on('error', () => {})
      conn.destroy()
      return
    }
    onConnection(conn, type)
  }
}
