// Minimal declarations for the untyped libraries tod-p2m calls: only what it uses.

declare module 'webtorrent' {
  import { EventEmitter } from 'node:events'

  export interface BitField { get (i: number): boolean, buffer: Uint8Array }

  export interface TorrentFile extends EventEmitter {
    name: string
    path: string
    length: number
    offset: number
    done: boolean
    _startPiece: number
    _endPiece: number
  }

  export interface Torrent extends EventEmitter {
    infoHash: string
    name: string
    length: number
    pieceLength: number
    lastPieceLength: number
    pieces: unknown[]
    files: TorrentFile[]
    bitfield: BitField
    ready: boolean
    done: boolean
    destroyed: boolean
    path: string
    torrentFile: Uint8Array
    /** The .torrent once known; null while a magnet waits for it. */
    metadata: Uint8Array | null
    numPeers: number
    downloadSpeed: number
    uploadSpeed: number
    downloaded: number
    uploaded: number
    progress: number
    store: unknown
    _select (from: number, to: number, priority: number, notify: (() => void) | null, isStreamSelection: boolean): void
    _deselect (from: number, to: number, isStreamSelection: boolean): void
    critical (from: number, to: number): void
    destroy (opts?: { destroyStore?: boolean }, cb?: (err?: Error) => void): void
    addPeer (peer: string | object, source?: string): boolean
  }

  export interface AddOptions {
    path?: string
    deselect?: boolean
    bitfield?: Uint8Array
    announce?: string[]
    maxWebConns?: number
    strategy?: 'sequential' | 'rarest'
    /** Chunk store constructor, called as `new store(pieceLength, { torrent, path, files, length, ... })`. */
    store?: new (chunkLength: number, opts: never) => unknown
  }

  export interface Options {
    utp?: boolean
    dht?: boolean | object
    lsd?: boolean
    utPex?: boolean
    natUpnp?: boolean
    natPmp?: boolean
    tracker?: boolean | object
    webSeeds?: boolean
    torrentPort?: number
    maxConns?: number
    downloadLimit?: number
    uploadLimit?: number
    blocklist?: string[]
    /** Protocol encryption: 0 off, 1 offered with plaintext fallback (the default), 2 required. */
    secure?: 0 | 1 | 2
  }

  export default class WebTorrent extends EventEmitter {
    constructor (opts?: Options)
    torrents: Torrent[]
    torrentPort: number
    add (id: string | Uint8Array | object, opts?: AddOptions, cb?: (t: Torrent) => void): Torrent
    get (id: string): Promise<Torrent | null>
    seed (input: unknown, opts?: object, cb?: (t: Torrent) => void): Torrent
    address (): { address: string, family: string, port: number } | null
    /** Bytes/s for the whole client, or -1 for no limit; false when the rate is not valid. */
    throttleDownload (rate: number): false | undefined
    throttleUpload (rate: number): false | undefined
    destroy (cb?: (err?: Error) => void): void
  }
}

declare module 'magnet-uri' {
  export interface MagnetData {
    infoHash?: string
    name?: string | string[]
    announce?: string[]
    urlList?: string[]
    peerAddresses?: string[]
    xs?: string | string[]
    [key: string]: unknown
  }
  export default function magnetURIDecode (uri: string): MagnetData
  export function encode (data: MagnetData): string
}

declare module 'parse-torrent' {
  export default function parseTorrent (id: string | Uint8Array): Promise<unknown>
}

declare module 'fs-chunk-store' {
  /** The file-backed chunk store WebTorrent uses by default (only what tod-p2m reads of it). */
  export default class FSChunkStore {
    constructor (chunkLength: number, opts: object)
    /** Absolute path of each file, as it will be written. */
    files: Array<{ path: string, length: number, offset: number }>
  }
}
