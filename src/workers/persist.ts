import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

/** What is kept about a torrent between runs, beside its .torrent file. */
export interface TorrentMeta {
  name: string
  size: number
  /** Peer hints (ip:port) from the magnet, so a reloaded torrent can find them again. */
  peers: string[]
  addedAt: number
  lastAccess: number
}

/** What {@link TorrentStore.flush} writes for a torrent. */
export interface PersistedState { bitfield: Uint8Array, meta: TorrentMeta }

/**
 * Torrent state under <state_dir>/torrents: <ih>.torrent (metadata, so a restart needs no
 * swarm), <ih>.bitfield (verified pieces, so a restart does not re-hash what is on disk) and
 * <ih>.json. Writes go to a temporary file and are renamed, so a crash never leaves half a file.
 */
export class TorrentStore {
  readonly #dir: string
  /** Torrents with pieces verified since their bitfield was last written. */
  readonly #dirty = new Set<string>()

  constructor (stateDir: string) {
    this.#dir = path.join(stateDir, 'torrents')
    fs.mkdirSync(this.#dir, { recursive: true })
  }

  async saveTorrent (infoHash: string, torrentFile: Uint8Array, meta: TorrentMeta): Promise<void> {
    await atomicWrite(this.#file(infoHash, 'torrent'), torrentFile)
    await this.saveMeta(infoHash, meta)
  }

  async saveMeta (infoHash: string, meta: TorrentMeta): Promise<void> {
    await atomicWrite(this.#file(infoHash, 'json'), JSON.stringify(meta))
  }

  async saveBitfield (infoHash: string, bits: Uint8Array): Promise<void> {
    await atomicWrite(this.#file(infoHash, 'bitfield'), bits)
  }

  /** Synchronous flush for the last moments of a thread. */
  saveBitfieldSync (infoHash: string, bits: Uint8Array): void {
    const file = this.#file(infoHash, 'bitfield')
    fs.writeFileSync(file + '.tmp', bits)
    fs.renameSync(file + '.tmp', file)
  }

  /** A piece of `infoHash` was verified: its bitfield is written on the next {@link flush}. */
  markDirty (infoHash: string): void {
    this.#dirty.add(infoHash)
  }

  /**
   * Writes the bitfield and record of every torrent marked dirty; `current` gives what to write
   * (undefined: not ready, try again next time). A failed write stays dirty.
   */
  async flush (current: (infoHash: string) => PersistedState | undefined, onError: (infoHash: string, err: unknown) => void): Promise<void> {
    for (const infoHash of [...this.#dirty]) {
      const state = current(infoHash)
      if (state === undefined) continue
      this.#dirty.delete(infoHash)
      try {
        await this.saveBitfield(infoHash, state.bitfield)
        await this.saveMeta(infoHash, state.meta)
      } catch (err) {
        this.#dirty.add(infoHash)
        onError(infoHash, err)
      }
    }
  }

  /** Forgets that `infoHash` has unwritten pieces (it left the client; its bitfield was saved or dropped). */
  forgetDirty (infoHash: string): void {
    this.#dirty.delete(infoHash)
  }

  async remove (infoHash: string): Promise<void> {
    this.#dirty.delete(infoHash)
    await Promise.all(['torrent', 'bitfield', 'json'].map(async (ext) => await fsp.rm(this.#file(infoHash, ext), { force: true })))
  }

  /** Every persisted torrent for which `owns(infoHash)` holds, with its metadata record. */
  async list (owns: (infoHash: string) => boolean): Promise<Array<{ infoHash: string, meta: TorrentMeta }>> {
    const out: Array<{ infoHash: string, meta: TorrentMeta }> = []
    for (const name of await fsp.readdir(this.#dir)) {
      const m = /^([0-9a-f]{40})\.torrent$/.exec(name)
      if (m === null || !owns(m[1] as string)) continue
      const infoHash = m[1] as string
      const meta = await fsp.readFile(this.#file(infoHash, 'json'), 'utf8').then((s) => JSON.parse(s) as TorrentMeta, () => undefined)
      if (meta !== undefined) out.push({ infoHash, meta })
    }
    return out
  }

  /** The .torrent and the verified-piece bitfield (if one was saved) of a persisted torrent. */
  async load (infoHash: string): Promise<{ torrentFile: Buffer, bitfield: Uint8Array | undefined }> {
    const torrentFile = await fsp.readFile(this.#file(infoHash, 'torrent'))
    const bitfield = await fsp.readFile(this.#file(infoHash, 'bitfield')).then((b) => new Uint8Array(b), () => undefined)
    return { torrentFile, bitfield }
  }

  #file (infoHash: string, ext: string): string {
    return path.join(this.#dir, `${infoHash}.${ext}`)
  }
}

async function atomicWrite (file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await fsp.writeFile(tmp, data)
  await fsp.rename(tmp, file)
}
