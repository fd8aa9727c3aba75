import type { Config } from '../config/config.js'
import { TodError } from '../errors.js'
import type { Logger } from '../log.js'
import type { AddResult, AddTask } from '../protocol.js'
import { sanitizeTorrentId } from '../security/sanitize.js'
import type { DroppedTarget } from '../security/sanitize.js'
import { describe } from './describe.js'
import type { Torrents } from './torrents.js'
import { parseMagnet } from '../input/magnet.js'
import type { TorrentFileOptions } from '../input/torrent-file.js'

/** What adding needs besides the torrents. */
export interface AddingOptions {
  allowPrivate: Config['security']['allow_private_networks']
  dht: Config['torrent']['dht']
  /** torrent.max_files, torrent.max_path_bytes and torrent.dir, for the .torrent parser. */
  torrentFile: TorrentFileOptions
  log: Logger
}

/** What a magnet names, as the engine reads it. */
interface MagnetHints {
  infoHash: string | undefined
  /** Peer hints (x.pe), as ip:port. */
  peers: string[]
  /** Trackers, web seeds, sources and peer hints: everything that could give the metadata besides the DHT. */
  targets: number
}

/** The sanitised torrent id, and whether the private-network policy left it no one to ask. */
interface Sanitized { magnet?: string, torrentFile?: Buffer, privateOnly: boolean }

/**
 * Adds a torrent from a magnet or a .torrent unless it is already known (idempotent), and
 * with `wait` waits for its metadata.
 */
export async function addTorrent (task: AddTask, torrents: Torrents, opts: AddingOptions): Promise<AddResult> {
  const { infoHash } = task
  const asked = task.magnet !== undefined ? readMagnet(task.magnet) : undefined
  if (asked !== undefined && asked.infoHash !== infoHash) throw new TodError('TOD_ERR_BAD_MAGNET', { reason: 'it names another torrent than the one asked for' })
  let created = false
  let known = false
  let entry = await torrents.find(infoHash)
  // A torrent already here needs no second check unless the request brings something new
  // (peer hints, or the .torrent of a magnet still waiting for metadata): repeated
  // /stream?magnet= requests must not cost DNS lookups.
  const news = entry === undefined || (task.torrentFile !== undefined && entry.torrent.metadata === null) ||
    (asked?.peers ?? []).some((p) => !entry!.meta.peers.includes(p))
  const clean: Sanitized = news ? await sanitize(infoHash, task, opts) : { privateOnly: false }
  const peers = clean.magnet !== undefined ? readMagnet(clean.magnet).peers : []
  entry = torrents.get(infoHash) ?? entry
  if (entry !== undefined && entry.torrent.metadata === null && task.torrentFile !== undefined) {
    // Still looking for metadata that this .torrent carries: start over from it.
    peers.push(...entry.meta.peers)
    await torrents.remove(infoHash, new Error('replaced by its .torrent'))
    entry = undefined
    known = true
  }
  if (entry === undefined) {
    const id = clean.torrentFile ?? clean.magnet
    if (id === undefined) throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'a magnet or a .torrent is needed' })
    if (torrents.get(infoHash) !== undefined) return await addTorrent(task, torrents, opts) // another add won the race during sanitize
    const privateOnly = clean.torrentFile === undefined && clean.privateOnly
    // Nothing public left to ask and no DHT: waiting for the metadata could only time out.
    if (privateOnly && !opts.dht && task.wait) throw new TodError('TOD_ERR_PRIVATE_NETWORK')
    entry = torrents.add(infoHash, { id, peers, privateOnly })
    created = !known
  } else {
    // Peer hints of a magnet for a torrent already here are still news.
    const fresh = peers.filter((p) => !entry!.meta.peers.includes(p))
    entry.meta.peers.push(...fresh)
    if (entry.torrent.infoHash !== undefined) for (const p of fresh) entry.torrent.addPeer(p)
  }
  entry.meta.lastAccess = Date.now()
  if (!task.wait) return { created, torrent: entry.torrent.ready ? describe(entry.torrent) : null }
  await torrents.whenReady(entry, true)
  return { created, torrent: describe(entry.torrent) }
}

/** What the engine needs of a magnet, read with the one magnet parser (src/input/magnet.ts). */
function readMagnet (magnet: string): MagnetHints {
  const m = parseMagnet(magnet)
  return { infoHash: m.infoHash, peers: m.peers, targets: m.peers.length + m.trackers.length + m.webSeeds.length + m.acceptableSources.length + m.sources.length }
}

/**
 * The SSRF guard: trackers, web seeds, sources and peer hints that resolve to non-public
 * addresses are dropped (and logged) before WebTorrent sees the torrent, unless
 * security.allow_private_networks.
 */
async function sanitize (infoHash: string, task: AddTask, opts: AddingOptions): Promise<Sanitized> {
  const { allowPrivate, log } = opts
  const report = (dropped: readonly DroppedTarget[]): void => {
    for (const d of dropped) log.warn('torrent target dropped', { infoHash, ...d })
  }
  const out: Sanitized = { privateOnly: false }
  if (task.torrentFile !== undefined) {
    const clean = await sanitizeTorrentId(Buffer.from(task.torrentFile, 'base64'), { allowPrivate, torrentFile: opts.torrentFile })
    if (clean.infoHash !== infoHash) throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it is another torrent than the one asked for' })
    report(clean.dropped)
    out.torrentFile = clean.torrentId
  }
  if (task.magnet !== undefined) {
    const clean = await sanitizeTorrentId(task.magnet, { allowPrivate })
    report(clean.dropped)
    out.magnet = clean.torrentId
    out.privateOnly = clean.dropped.length > 0 && clean.dropped.every((d) => d.reason === 'blocked') && readMagnet(clean.torrentId).targets === 0
  }
  return out
}
