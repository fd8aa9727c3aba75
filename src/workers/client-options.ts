import type { Options } from 'webtorrent'
import type { Config } from '../config/config.js'
import { peerBlocklist } from '../security/ip-policy.js'

/** torrent.encryption as WebTorrent's `secure` level (0 off, 1 with plaintext fallback, 2 required). */
const ENCRYPTION = { off: 0, prefer: 1, require: 2 } as const

/** The WebTorrent client options of shard `shard` (its port, its share of the rate limits). */
export function clientOptions (t: Config['torrent'], allowPrivate: boolean, shard: number): Options {
  const split = (limit: number): number => limit > 0 ? Math.max(1, Math.floor(limit / t.shards)) : -1
  return {
    // uTP off: with it on, terminating a thread or an uncaught exception in one segfaults the
    // whole process, and TCP was faster here (~84 MiB/s vs ~30 on Node 20).
    utp: false,
    dht: t.dht,
    lsd: t.lsd,
    natUpnp: t.nat_traversal,
    natPmp: t.nat_traversal,
    torrentPort: t.port > 0 ? t.port + shard : 0,
    maxConns: t.max_connections,
    secure: ENCRYPTION[t.encryption],
    downloadLimit: split(t.download_rate_limit),
    uploadLimit: split(t.upload_rate_limit),
    // Outgoing peers from non-public IPv4 ranges are refused. ip-set is IPv4-only (an IPv6
    // range would turn into a nonsense v4 one), so v6 peers are filtered by peer-guard.ts.
    ...(allowPrivate ? {} : { blocklist: peerBlocklist({ ipv6Peers: true }) })
  }
}
