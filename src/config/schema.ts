import os from 'node:os'
import path from 'node:path'
import { mediaSchema } from '../media/options.js'

/**
 * Where a SIGHUP applies a changed key. `everywhere`: the supervisor, front-ends and shard
 * threads take it at once; `frontends`: the front-ends forked by the reload start with it;
 * `supervisor`: the supervisor applies it (the reaper, the bandwidth balancer, the request and
 * torrent ledgers); `restart`: fixed for the life of the process, a reload keeps the old value
 * and logs that a restart is needed.
 */
export type Live = 'everywhere' | 'frontends' | 'supervisor' | 'restart'

/**
 * Formats: convict's 'port', 'nat' and 'int'; String; a list of allowed strings; and two of
 * ours (registered in config.ts): 'bool' (true/false, 1/0, yes/no, on/off; convict's Boolean
 * reads every string but "false" as true) and 'list' (a JSON array of strings, or commas).
 */
export type Format = 'port' | 'nat' | 'int' | 'bool' | 'list' | StringConstructor | readonly string[]

export interface KeySpec {
  doc: string
  format: Format
  default: unknown
  /** TOD_P2M_<SECTION>_<KEY>. */
  env: string
  live: Live
  /** Masked by check-config --print. */
  sensitive?: boolean
}

/**
 * The convict schema: the single source of truth for every setting. Each key has a doc, a
 * format, a default, an environment variable TOD_P2M_<SECTION>_<KEY> and where a reload
 * applies it. The {@link Config} type is derived from it, and docs/config.md generated from it
 * (`tod-p2m check-config --print-schema --markdown`).
 */
export const schema = {
  server: {
    port: { doc: 'TCP port the HTTP front-ends listen on (0 picks a free port).', format: 'port', default: 8080, env: 'TOD_P2M_SERVER_PORT', live: 'restart' },
    host: { doc: 'Address to listen on; empty means every interface (IPv6 and IPv4 where available).', format: String, default: '', env: 'TOD_P2M_SERVER_HOST', live: 'restart' },
    workers: { doc: 'Number of HTTP front-end processes; 0 means one per CPU.', format: 'nat', default: 0, env: 'TOD_P2M_SERVER_WORKERS', live: 'supervisor' },
    trust_proxy: { doc: 'Addresses of reverse proxies whose X-Forwarded-Proto/-Host/-For headers are believed (absolute URLs in playlists and documents; the client address that per-client limits count).', format: 'list', default: [] as string[], env: 'TOD_P2M_SERVER_TRUST_PROXY', live: 'frontends' },
    max_torrent_upload_bytes: { doc: 'Largest .torrent file or request body POST /torrents accepts (413 above).', format: 'nat', default: 4 * 1024 * 1024, env: 'TOD_P2M_SERVER_MAX_TORRENT_UPLOAD_BYTES', live: 'frontends' },
    max_connections: { doc: 'Most open HTTP connections for the whole daemon, split evenly between front-ends; connections beyond it are closed at once.', format: 'nat', default: 4096, env: 'TOD_P2M_SERVER_MAX_CONNECTIONS', live: 'frontends' },
    max_header_bytes: { doc: 'Largest request line plus headers (431 above). Magnets in a query string count towards it.', format: 'nat', default: 16 * 1024, env: 'TOD_P2M_SERVER_MAX_HEADER_BYTES', live: 'frontends' },
    header_timeout_ms: { doc: 'Time a client has to send its complete request headers (408 after; slowloris).', format: 'nat', default: 5000, env: 'TOD_P2M_SERVER_HEADER_TIMEOUT_MS', live: 'frontends' },
    write_idle_timeout_ms: { doc: 'A response whose client takes nothing for this long is closed (clients that stop reading). Players reconnect with a range when resumed.', format: 'nat', default: 60000, env: 'TOD_P2M_SERVER_WRITE_IDLE_TIMEOUT_MS', live: 'frontends' },
    public_url: { doc: 'The URL clients reach this daemon at (a load balancer or TLS proxy, e.g. https://tv.example), without a trailing slash. Playlists, torrent documents and signed URLs point there. Empty: taken from each request (Host, and X-Forwarded-* from server.trust_proxy).', format: String, default: '', env: 'TOD_P2M_SERVER_PUBLIC_URL', live: 'frontends' },
    node_name: { doc: 'This node\'s name in the X-Tod-Node response header and the `node` label of every metric, so a fleet behind a balancer can be told apart. Empty: the host name.', format: String, default: '', env: 'TOD_P2M_SERVER_NODE_NAME', live: 'restart' },
    hash_routing: { doc: 'This node sits behind a balancer that routes by info-hash (packaging/fleet): a request naming a torrent in another form than lower-case hex (a base32 or upper-case info-hash, a POST /torrents without a matching ?ih=) is answered 307 to the same URL in that form, which the balancer sends to the node that owns the torrent.', format: 'bool', default: false, env: 'TOD_P2M_SERVER_HASH_ROUTING', live: 'frontends' }
  },
  logging: {
    level: { doc: 'Lowest level logged.', format: ['error', 'warn', 'info', 'debug'], default: 'info', env: 'TOD_P2M_LOGGING_LEVEL', live: 'everywhere' },
    format: { doc: 'json: one JSON object per line (for journald); text: human-readable lines.', format: ['json', 'text'], default: 'json', env: 'TOD_P2M_LOGGING_FORMAT', live: 'frontends' }
  },
  torrent: {
    dir: { doc: 'Folder for downloaded data; each torrent gets <dir>/<infoHash>/.', format: String, default: path.join(os.tmpdir(), 'tod-p2m'), env: 'TOD_P2M_TORRENT_DIR', live: 'restart' },
    state_dir: { doc: 'Folder for torrent metadata and verified-piece bitfields; empty means <dir>/.tod-p2m-state.', format: String, default: '', env: 'TOD_P2M_TORRENT_STATE_DIR', live: 'restart' },
    shards: { doc: 'Number of engine threads (one WebTorrent client each); 0 means one per CPU.', format: 'nat', default: 0, env: 'TOD_P2M_TORRENT_SHARDS', live: 'restart' },
    port: { doc: 'First BitTorrent listen port; shard i listens on port+i. 0 picks free ports.', format: 'port', default: 0, env: 'TOD_P2M_TORRENT_PORT', live: 'restart' },
    max_connections: { doc: 'Most peer connections per engine thread.', format: 'nat', default: 55, env: 'TOD_P2M_TORRENT_MAX_CONNECTIONS', live: 'restart' },
    download_rate_limit: { doc: 'Download cap in bytes per second for the whole daemon, shared between shards by their demand (rebalanced every second); 0 is unlimited.', format: 'nat', default: 0, env: 'TOD_P2M_TORRENT_DOWNLOAD_RATE_LIMIT', live: 'supervisor' },
    upload_rate_limit: { doc: 'Upload cap in bytes per second for the whole daemon, shared between shards by their demand (rebalanced every second); 0 is unlimited.', format: 'nat', default: 0, env: 'TOD_P2M_TORRENT_UPLOAD_RATE_LIMIT', live: 'supervisor' },
    metadata_timeout_ms: { doc: 'How long a request waits for a new torrent\'s metadata before answering 504.', format: 'nat', default: 30000, env: 'TOD_P2M_TORRENT_METADATA_TIMEOUT_MS', live: 'restart' },
    cache_size: { doc: 'Most torrents kept; the reaper removes the least recently streamed idle ones beyond this.', format: 'nat', default: 100, env: 'TOD_P2M_TORRENT_CACHE_SIZE', live: 'supervisor' },
    max_disk_usage: { doc: 'Disk quota in bytes for all torrent data; the reaper removes least recently streamed idle torrents above it. 0 clears every torrent not being streamed; -1 is unlimited.', format: 'int', default: 10 * 1024 * 1024 * 1024, env: 'TOD_P2M_TORRENT_MAX_DISK_USAGE', live: 'supervisor' },
    max_files: { doc: 'Most files one torrent may list (TOD_ERR_TOO_MANY_FILES, 400, above), checked before any work per file, for uploads and for metadata from peers. WebTorrent does work per file when a torrent arrives, on the shard thread: 120,000 empty files blocked a shard for half a minute. Real torrents rarely list more than a few thousand files (a season of episodes with subtitles: dozens; a large software archive: a few thousand).', format: 'nat', default: 10_000, env: 'TOD_P2M_TORRENT_MAX_FILES', live: 'restart' },
    max_path_bytes: { doc: 'Most bytes of file paths (name and folders of every file, added up) one torrent may list (TOD_ERR_TOO_MANY_FILES, 400, above). 1 MiB is 10,000 files with paths of 100 bytes; it bounds the memory and time spent on file names whatever the file count.', format: 'nat', default: 1024 * 1024, env: 'TOD_P2M_TORRENT_MAX_PATH_BYTES', live: 'restart' },
    cleanup_interval: { doc: 'Seconds between reaper runs.', format: 'nat', default: 60, env: 'TOD_P2M_TORRENT_CLEANUP_INTERVAL', live: 'restart' },
    idle_timeout: { doc: 'Seconds without a reader after which a torrent stops its network activity (resumed on the next request).', format: 'nat', default: 300, env: 'TOD_P2M_TORRENT_IDLE_TIMEOUT', live: 'restart' },
    read_timeout_ms: { doc: 'How long a read waits for a missing piece before giving up (504 before the first byte, a cut response after).', format: 'nat', default: 60000, env: 'TOD_P2M_TORRENT_READ_TIMEOUT_MS', live: 'restart' },
    dht: { doc: 'Find peers through the mainline DHT.', format: 'bool', default: true, env: 'TOD_P2M_TORRENT_DHT', live: 'restart' },
    lsd: { doc: 'Find peers through Local Service Discovery (multicast on the LAN).', format: 'bool', default: false, env: 'TOD_P2M_TORRENT_LSD', live: 'restart' },
    nat_traversal: { doc: 'Map the peer port with UPnP and NAT-PMP.', format: 'bool', default: false, env: 'TOD_P2M_TORRENT_NAT_TRAVERSAL', live: 'restart' },
    encryption: { doc: 'BitTorrent protocol encryption (MSE/PE, RC4): "prefer" offers it and falls back to plaintext, "require" talks only to peers that encrypt, "off" never encrypts. RC4 is native when node runs with --openssl-legacy-provider (the launchers pass it); otherwise it runs in JavaScript, at about 40% of an engine thread\'s CPU.', format: ['prefer', 'require', 'off'], default: 'prefer', env: 'TOD_P2M_TORRENT_ENCRYPTION', live: 'restart' }
  },
  streaming: {
    readahead_bytes: { doc: 'Bytes ahead of each reader that are fetched first; the pieces at the read position are critical.', format: 'nat', default: 16 * 1024 * 1024, env: 'TOD_P2M_STREAMING_READAHEAD_BYTES', live: 'restart' },
    buffer_size: { doc: 'Chunk size in bytes of reads from disk into a response when the bytes are copied (streaming.sendfile off or unavailable; 1 MiB: 20 warm readers got ~1.3x the throughput of 256 KiB, docs/performance.md).', format: 'nat', default: 1024 * 1024, env: 'TOD_P2M_STREAMING_BUFFER_SIZE', live: 'frontends' },
    sendfile: { doc: 'Send file bytes from the page cache straight into the socket with sendfile(2), as nginx does, instead of copying them through JavaScript in streaming.buffer_size chunks (20 readers of a warm 250 MB file: 2148 against 975 MB/s, 1.02x nginx, and 0.39 against 1.44 CPU-s per GB; docs/performance.md). Linux and plain HTTP only, with the tod-p2m-sendfile addon that npm ci builds; without it, or off, the bytes are copied.', format: 'bool', default: true, env: 'TOD_P2M_STREAMING_SENDFILE', live: 'frontends' }
  },
  security: {
    allow_private_networks: { doc: 'Let torrents reach trackers, web seeds, sources and peers on loopback, private, link-local and other non-public addresses (LAN use, tests). Off: such targets are dropped before WebTorrent sees them.', format: 'bool', default: false, env: 'TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS', live: 'restart' },
    api_tokens: { doc: 'Bearer tokens (Authorization: Bearer TOKEN). When any is set, every route but /health needs one, or a signed URL for streams and playlists. Empty: open.', format: 'list', default: [] as string[], env: 'TOD_P2M_SECURITY_API_TOKENS', sensitive: true, live: 'frontends' },
    url_signing_key: { doc: 'HMAC key of signed stream URLs (?exp=&sig=). Empty: a random key per start (URLs handed out die with a restart).', format: String, default: '', env: 'TOD_P2M_SECURITY_URL_SIGNING_KEY', sensitive: true, live: 'frontends' },
    signed_url_ttl: { doc: 'Seconds a signed URL handed out by the API stays valid.', format: 'nat', default: 6 * 3600, env: 'TOD_P2M_SECURITY_SIGNED_URL_TTL', live: 'frontends' },
    enable_cors: { doc: 'Answer CORS preflights and send Access-Control-Allow-Origin for security.allowed_origins.', format: 'bool', default: false, env: 'TOD_P2M_SECURITY_ENABLE_CORS', live: 'frontends' },
    allowed_origins: { doc: 'Origins allowed by CORS (e.g. https://app.example); "*" allows any origin (never with credentials).', format: 'list', default: [] as string[], env: 'TOD_P2M_SECURITY_ALLOWED_ORIGINS', live: 'frontends' },
    requests_per_minute: { doc: 'Requests per client IP per minute, counted across all front-ends (429 with Retry-After above); 0 is unlimited. /health is not counted.', format: 'nat', default: 1200, env: 'TOD_P2M_SECURITY_REQUESTS_PER_MINUTE', live: 'supervisor' },
    max_torrents: { doc: 'Most torrents the daemon holds; adding more answers 429. 0 is unlimited.', format: 'nat', default: 500, env: 'TOD_P2M_SECURITY_MAX_TORRENTS', live: 'supervisor' },
    max_torrents_per_ip: { doc: 'Most torrents one client IP may have added that are still held; more answers 429. 0 is unlimited.', format: 'nat', default: 20, env: 'TOD_P2M_SECURITY_MAX_TORRENTS_PER_IP', live: 'supervisor' }
  },
  media: mediaSchema,
  debug: {
    fault_injection: { doc: 'Accept the engine task that crashes a shard thread (tests only; never in production).', format: 'bool', default: false, env: 'TOD_P2M_DEBUG_FAULT_INJECTION', live: 'restart' }
  }
} as const satisfies Record<string, Record<string, KeySpec>>

/** The TypeScript type of a key's value, from its format. */
type ValueOf<S> =
  S extends { format: 'list' } ? readonly string[]
    : S extends { format: 'bool' } ? boolean
      : S extends { format: 'port' | 'nat' | 'int' } ? number
        : S extends { format: StringConstructor } ? string
          : S extends { format: ReadonlyArray<infer U extends string> } ? U
            : never

type Schema = typeof schema

/** Every setting, typed from the schema: the sections of Config. */
export type Settings = { readonly [S in keyof Schema]: { readonly [K in keyof Schema[S]]: ValueOf<Schema[S][K]> } }
