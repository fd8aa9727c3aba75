/**
 * Loopback-only WebTorrent clients for tests, with the minimal local typings
 * the fixtures need (webtorrent ships no types; these interfaces describe only
 * what the helpers use and are deliberately not an ambient `declare module`,
 * so they cannot clash with typings the daemon may declare in src/types).
 */
import type { EventEmitter } from 'node:events'
import net from 'node:net'
import path from 'node:path'
import type { AddressInfo } from 'node:net'
import { withTimeout } from './async.js'
import { LOOPBACK } from './net.js'

/**
 * Options every test WebTorrent client is created with: no uTP (uTP in
 * worker threads segfaults), no DHT/LSD/trackers/web seeds, no port mapping.
 * Peers are only ever found through explicit peer hints (`x.pe`).
 */
export const SAFE_CLIENT_OPTIONS = Object.freeze({
  utp: false,
  dht: false,
  lsd: false,
  natUpnp: false,
  natPmp: false,
  tracker: false,
  webSeeds: false
} as const)

/** A file inside a WebTorrent torrent (subset of webtorrent's `File`). */
export interface WtFile {
  /** Base name. */
  readonly name: string
  /** Path as stored by webtorrent: includes the torrent name for multi-file torrents. */
  readonly path: string
  readonly length: number
  /** Byte offset of the file within the torrent's concatenated data. */
  readonly offset: number
  readonly done: boolean
}

/** A peer connection (subset of bittorrent-protocol's `Wire`). */
export interface WtWire {
  readonly remoteAddress: string
  readonly remotePort: number
}

/** Subset of webtorrent's `Torrent`. */
export interface WtTorrent extends EventEmitter {
  readonly infoHash: string
  readonly name: string
  readonly magnetURI: string
  readonly torrentFile: Uint8Array
  readonly files: WtFile[]
  readonly length: number
  readonly pieceLength: number
  readonly ready: boolean
  readonly done: boolean
  readonly destroyed: boolean
  readonly progress: number
  readonly numPeers: number
  readonly wires: WtWire[]
  readonly path: string
  addPeer (peer: string): boolean
  destroy (opts?: { destroyStore?: boolean }, cb?: (err?: Error | null) => void): void
}

/** Options accepted by {@link WtClient.seed} (subset). */
export interface WtSeedOptions {
  name?: string
  pieceLength?: number
  announceList?: string[][]
  urlList?: string[]
  private?: boolean
  path?: string
  comment?: string
}

/** Options accepted by {@link WtClient.add} (subset). */
export interface WtAddOptions {
  /** Directory the torrent's files are stored under. Always set one in tests. */
  path: string
  announce?: string[]
  private?: boolean
  destroyStoreOnDestroy?: boolean
  skipVerify?: boolean
  deselect?: boolean
}

/** Subset of the WebTorrent client. */
export interface WtClient extends EventEmitter {
  readonly torrents: WtTorrent[]
  readonly listening: boolean
  readonly destroyed: boolean
  torrentPort: number
  address (): AddressInfo | null
  seed (input: string | string[], opts: WtSeedOptions, onseed: (torrent: WtTorrent) => void): WtTorrent
  add (torrentId: string | Uint8Array, opts: WtAddOptions, ontorrent?: (torrent: WtTorrent) => void): WtTorrent
  destroy (cb?: (err?: Error | null) => void): void
}

/** Extra, non-safety-related WebTorrent client options tests may set. */
export interface ClientOptions {
  maxConns?: number
  /** Bytes per second, -1 for unlimited. */
  downloadLimit?: number
  /** Bytes per second, -1 for unlimited. */
  uploadLimit?: number
  /** 0 = no encryption, 1 = allow (default), 2 = require. */
  secure?: 0 | 1 | 2
  seedOutgoingConnections?: boolean
  /**
   * Rebind the peer listener to 127.0.0.1 (default true). WebTorrent itself
   * always listens on all interfaces.
   */
  loopbackOnly?: boolean
  /** Called for client-level errors after start-up (default: print to stderr). */
  onError?: (err: Error) => void
}

type WebTorrentCtor = new (opts: Record<string, unknown>) => WtClient

let ctorPromise: Promise<WebTorrentCtor> | undefined

/** Load the untyped `webtorrent` module once (dynamic import keeps it out of the type checker). */
function loadWebTorrent (): Promise<WebTorrentCtor> {
  if (ctorPromise === undefined) {
    const specifier: string = 'webtorrent'
    ctorPromise = import(specifier).then((mod: { default: WebTorrentCtor }) => mod.default)
  }
  return ctorPromise
}

/** The TCP server inside WebTorrent's connection pool (private API, used read-only plus rebinding). */
function peerServerOf (client: WtClient): net.Server | undefined {
  const pool = (client as unknown as { _connPool?: { tcpServer?: unknown } | null })._connPool
  const server = pool?.tcpServer
  return server instanceof net.Server ? server : undefined
}

/**
 * Close WebTorrent's all-interfaces peer listener and listen again on
 * 127.0.0.1 with a fresh OS-assigned port; updates `client.torrentPort`.
 * Safe because no connection can exist yet when this runs.
 */
async function rebindToLoopback (client: WtClient): Promise<void> {
  const server = peerServerOf(client)
  if (server === undefined) throw new Error('webtorrent client has no TCP peer server')
  const current = server.address()
  if (current !== null && typeof current === 'object' && current.address === LOOPBACK) return
  await new Promise<void>((resolve, reject) => server.close((err) => err ? reject(err) : resolve()))
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => {
      server.removeListener('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('rebinding peer server failed')
  client.torrentPort = address.port
}

/**
 * Create a WebTorrent client with {@link SAFE_CLIENT_OPTIONS}, wait until its
 * peer listener is up and (by default) move that listener to 127.0.0.1.
 * `client.torrentPort` is the port peers must connect to.
 */
export async function createClient (opts: ClientOptions = {}): Promise<WtClient> {
  const WebTorrent = await loadWebTorrent()
  const { loopbackOnly = true, onError, ...rest } = opts
  const client = new WebTorrent({ ...rest, ...SAFE_CLIENT_OPTIONS })
  // Errors during start-up reject; an 'error' listener must exist from the
  // start, or EventEmitter would throw them.
  let startupError: Error | undefined
  let failStartup: ((err: Error) => void) | undefined
  const onStartupError = (err: Error): void => {
    startupError ??= err
    failStartup?.(err)
  }
  client.on('error', onStartupError)
  try {
    if (!client.listening) {
      await withTimeout(new Promise<void>((resolve, reject) => {
        if (startupError !== undefined) { reject(startupError); return }
        failStartup = reject
        client.once('listening', () => resolve())
      }), 10_000, 'webtorrent client listening')
    }
    if (loopbackOnly) await rebindToLoopback(client)
    if (startupError !== undefined) throw startupError
  } catch (err) {
    await destroyClient(client)
    throw err
  } finally {
    client.on('error', onError ?? ((err: Error) => { console.error('[test webtorrent client error]', err) }))
    client.removeListener('error', onStartupError)
  }
  return client
}

/** Destroy a client (all its torrents and sockets); never rejects, idempotent. */
export function destroyClient (client: WtClient): Promise<void> {
  if (client.destroyed) return Promise.resolve()
  return new Promise((resolve) => {
    try {
      client.destroy(() => resolve())
    } catch {
      resolve()
    }
  })
}

/**
 * Append a BEP 9 peer address hint (`x.pe=HOST:PORT`) to a magnet link,
 * unless that exact hint is already present.
 */
export function addSeederPeerHint (magnet: string, peerAddress: string): string {
  const hint = `x.pe=${peerAddress}`
  const query = magnet.slice(magnet.indexOf('?') + 1).split('&')
  if (query.includes(hint) || query.includes(`x.pe=${encodeURIComponent(peerAddress)}`)) return magnet
  return `${magnet}${magnet.includes('?') ? '&' : '?'}${hint}`
}

/**
 * Build a minimal magnet link: `xt`, `dn` and, if given, one `x.pe` peer
 * hint per address. Never contains trackers or web seeds.
 */
export function makeMagnet (infoHash: string, name: string, peerAddresses: string[] = []): string {
  let magnet = `magnet:?xt=urn:btih:${infoHash.toLowerCase()}&dn=${encodeURIComponent(name)}`
  for (const peer of peerAddresses) magnet = addSeederPeerHint(magnet, peer)
  return magnet
}

/** A file produced by {@link leech}. */
export interface LeechedFile {
  /** Path relative to the download directory (webtorrent's `file.path`). */
  path: string
  /** Absolute path on disk. */
  absPath: string
  length: number
}

/** Options for {@link leech}. */
export interface LeechOptions extends ClientOptions {
  /** Fail if the download has not finished after this many ms (default 60000). */
  timeoutMs?: number
  /** Extra peers to connect to ("127.0.0.1:PORT"), in addition to the magnet's `x.pe` hints. */
  peers?: string[]
}

/**
 * Download a torrent completely with a fresh, loopback-only WebTorrent client
 * into `dir`, then destroy the client (so all data is flushed to disk) and
 * return the files. The torrent id is normally a magnet with an `x.pe` hint;
 * with DHT/trackers off that hint (or `opts.peers`) is the only way to find
 * peers.
 */
export async function leech (torrentId: string | Uint8Array, dir: string, opts: LeechOptions = {}): Promise<LeechedFile[]> {
  const { timeoutMs = 60_000, peers = [], ...clientOpts } = opts
  const client = await createClient(clientOpts)
  try {
    const torrent = client.add(torrentId, { path: dir })
    const done = new Promise<void>((resolve, reject) => {
      torrent.once('error', reject)
      if (torrent.done) resolve()
      else torrent.once('done', () => resolve())
    })
    for (const peer of peers) {
      if (torrent.infoHash) torrent.addPeer(peer)
      else torrent.once('infoHash', () => torrent.addPeer(peer))
    }
    await withTimeout(done, timeoutMs, () =>
      `leeching ${torrent.infoHash}: ready=${torrent.ready} progress=${torrent.progress.toFixed(3)} peers=${torrent.numPeers}`)
    const base = torrent.path
    const files = torrent.files.map((f) => ({ path: f.path, absPath: path.join(base, f.path), length: f.length }))
    await destroyClient(client)
    return files
  } finally {
    await destroyClient(client)
  }
}

/** Options for {@link createTorrentFile}. */
export interface CreateTorrentOptions {
  /** Torrent name (default: base name of `input`). Changes the root directory a seeder expects. */
  name?: string
  /** Piece length in bytes (power of two; default chosen by create-torrent). */
  pieceLength?: number
}

/**
 * Create a `.torrent` (bencoded) for a file or directory on disk, with no
 * trackers, no web seeds and no DHT nodes, so that any client seeding it makes
 * no outside connections. Files end up at `<dirname(input)>/<name>[/...]`,
 * which is the `dataDir` layout seeders expect.
 */
export async function createTorrentFile (input: string, opts: CreateTorrentOptions = {}): Promise<Buffer> {
  const specifier: string = 'create-torrent'
  const mod = await import(specifier) as {
    default: (input: string, opts: Record<string, unknown>, cb: (err: Error | null, torrent: Uint8Array) => void) => void
  }
  const ctOpts: Record<string, unknown> = { announceList: [], createdBy: 'tod-p2m tests' }
  if (opts.name !== undefined) ctOpts.name = opts.name
  if (opts.pieceLength !== undefined) ctOpts.pieceLength = opts.pieceLength
  return await new Promise<Buffer>((resolve, reject) => {
    mod.default(input, ctOpts, (err, torrent) => err ? reject(err) : resolve(Buffer.from(torrent)))
  })
}

/** Minimal metadata of a `.torrent` file. */
export interface TorrentInfo {
  infoHash: string
  name: string
  /** Files in torrent order; `path` includes the torrent name for multi-file torrents. */
  files: { path: string, length: number }[]
  length: number
  pieceLength: number
}

/** Parse a `.torrent` buffer (via parse-torrent). */
export async function parseTorrentFile (torrent: Uint8Array): Promise<TorrentInfo> {
  const specifier: string = 'parse-torrent'
  const mod = await import(specifier) as {
    default: (id: Uint8Array) => Promise<{
      infoHash: string
      name: string
      files: { path: string, length: number }[]
      length: number
      pieceLength: number
    }>
  }
  const parsed = await mod.default(torrent)
  return {
    infoHash: parsed.infoHash,
    name: parsed.name,
    files: parsed.files.map((f) => ({ path: f.path, length: f.length })),
    length: parsed.length,
    pieceLength: parsed.pieceLength
  }
}
