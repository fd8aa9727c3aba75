/**
 * In-process WebTorrent seeder listening on 127.0.0.1, for tests.
 */
import { mkdtemp, rm, stat, symlink, mkdir } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { withTimeout } from './async.js'
import { LOOPBACK } from './net.js'
import { addSeederPeerHint, createClient, destroyClient, makeMagnet } from './webtorrent.js'
import type { WtClient, WtTorrent } from './webtorrent.js'

export { addSeederPeerHint }

/** A file of a seeded torrent. */
export interface SeederFile {
  /**
   * Path relative to a download directory, as webtorrent stores it
   * (`file.path`): for a multi-file torrent it starts with the torrent name,
   * for a single-file torrent it is just the name.
   */
  path: string
  /** Path inside the torrent without the torrent name (the `info.files[].path` joined by `/`). */
  innerPath: string
  /** Base name. */
  name: string
  length: number
  /** Byte offset in the torrent's concatenated data. */
  offset: number
}

/** A running seeder returned by {@link startSeeder}. */
export interface Seeder {
  /** `magnet:?xt=urn:btih:…&dn=…&x.pe=127.0.0.1:PORT` (no trackers). */
  magnet: string
  /** Lower-case hex v1 info hash. */
  infoHash: string
  /** Torrent name (`dn`). */
  name: string
  /** The bencoded `.torrent` (no announce list). */
  torrentFile: Buffer
  /** TCP port the seeder accepts peers on (127.0.0.1 only). */
  port: number
  /** `"127.0.0.1:PORT"`. */
  peerAddress: string
  /** Files in torrent order. */
  files: SeederFile[]
  /** Total size in bytes. */
  length: number
  pieceLength: number
  /** The underlying WebTorrent client, e.g. to inspect `torrent.wires` or throttle uploads. */
  client: WtClient
  torrent: WtTorrent
  /** Destroy the client and remove any staging directory. Idempotent. */
  stop (): Promise<void>
}

/** Options for {@link startSeeder}. */
export interface SeederOptions {
  /** Piece length in bytes (power of two, >= 16 KiB). Default: create-torrent's choice. */
  pieceLength?: number
  /**
   * Torrent name. Default: base name of `input` for a single path, `"test-torrent"` for
   * an array. Renaming is done through a symlink staging directory; data is never copied.
   */
  name?: string
  /** Upload limit in bytes per second (default unlimited), e.g. to simulate a slow swarm. */
  uploadLimit?: number
  /** How long hashing may take before giving up, ms (default 120000). */
  timeoutMs?: number
}

interface Staged {
  seedPath: string
  cleanup: () => Promise<void>
}

/**
 * Arrange `input` so that seeding one path gives the requested torrent name
 * and layout. Arrays become a directory `<tmp>/<name>/` of symlinks (always a
 * multi-file torrent, files in name order as create-torrent sorts them).
 */
async function stage (input: string | string[], name: string | undefined): Promise<Staged> {
  const noop = async (): Promise<void> => {}
  if (typeof input === 'string') {
    const abs = path.resolve(input)
    await stat(abs) // fail early with ENOENT
    if (name === undefined || name === path.basename(abs)) return { seedPath: abs, cleanup: noop }
  } else if (input.length === 0) {
    throw new Error('startSeeder: empty input list')
  }

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'tod-seed-'))
  const cleanup = (): Promise<void> => rm(tmp, { recursive: true, force: true })
  try {
    if (typeof input === 'string') {
      const abs = path.resolve(input)
      const seedPath = path.join(tmp, name ?? path.basename(abs))
      await symlink(abs, seedPath)
      return { seedPath, cleanup }
    }
    const root = path.join(tmp, name ?? 'test-torrent')
    await mkdir(root)
    const seen = new Set<string>()
    for (const item of input) {
      const abs = path.resolve(item)
      await stat(abs)
      const base = path.basename(abs)
      if (seen.has(base)) throw new Error(`startSeeder: duplicate base name ${base}`)
      seen.add(base)
      await symlink(abs, path.join(root, base))
    }
    return { seedPath: root, cleanup }
  } catch (err) {
    await cleanup()
    throw err
  }
}

/**
 * Seed a file, a directory, or a list of files from an in-process WebTorrent
 * client that accepts peers on 127.0.0.1 only, with DHT, trackers, LSD, uTP
 * and port mapping off. Resolves once the data is hashed and the torrent is
 * seeding. The returned magnet carries the `x.pe` peer hint, which is how a
 * leecher with discovery off finds this seeder.
 *
 * @param input - file or directory path, or a list of file paths (seeded as
 *   one multi-file torrent named `opts.name`).
 */
export async function startSeeder (input: string | string[], opts: SeederOptions = {}): Promise<Seeder> {
  const staged = await stage(input, opts.name)
  let client: WtClient | undefined
  try {
    client = await createClient(opts.uploadLimit !== undefined ? { uploadLimit: opts.uploadLimit } : {})
    const c = client
    const torrent = await withTimeout(new Promise<WtTorrent>((resolve, reject) => {
      const t = c.seed(staged.seedPath, {
        announceList: [],
        ...(opts.pieceLength !== undefined ? { pieceLength: opts.pieceLength } : {})
      }, (seeded) => {
        t.removeListener('error', reject)
        resolve(seeded)
      })
      t.once('error', reject)
    }), opts.timeoutMs ?? 120_000, `seeding ${staged.seedPath}`)

    if (torrent.progress < 1) throw new Error(`seeded torrent is incomplete (progress ${torrent.progress})`)
    const port = client.torrentPort
    const peerAddress = `${LOOPBACK}:${port}`
    const multi = torrent.files.length !== 1 || torrent.files[0]?.path !== torrent.name
    const files = torrent.files.map((f): SeederFile => ({
      path: f.path,
      innerPath: multi ? f.path.split(path.sep).slice(1).join('/') : f.path,
      name: f.name,
      length: f.length,
      offset: f.offset
    }))

    let stopped: Promise<void> | undefined
    return {
      magnet: makeMagnet(torrent.infoHash, torrent.name, [peerAddress]),
      infoHash: torrent.infoHash,
      name: torrent.name,
      torrentFile: Buffer.from(torrent.torrentFile),
      port,
      peerAddress,
      files,
      length: torrent.length,
      pieceLength: torrent.pieceLength,
      client,
      torrent,
      stop: () => {
        stopped ??= destroyClient(c).then(staged.cleanup)
        return stopped
      }
    }
  } catch (err) {
    if (client !== undefined) await destroyClient(client)
    await staged.cleanup()
    throw err
  }
}
