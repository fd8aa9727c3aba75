import magnetDecode from 'magnet-uri'
import type { MagnetData } from 'magnet-uri'
import { TodError } from '../errors.js'
import { normalizeInfoHash } from '../infohash.js'

/**
 * The one magnet parser: the HTTP edge, the sanitiser and the engine all read magnets through
 * it, so they cannot disagree about which torrent a magnet names. It decodes with magnet-uri,
 * the parser WebTorrent itself uses, and refuses what magnet-uri would read differently from a
 * strict reading (it takes the first 40 characters of an overlong hash, the last of several
 * `xt`, and ignores `MAGNET:?` and `URN:BTIH:`).
 */

/** Longest magnet accepted; real ones are a few hundred bytes, with many trackers a few KiB. */
export const MAX_MAGNET_LENGTH = 16 * 1024

export interface Magnet {
  /** 40 lower-case hex characters, from a hex or a base32 `xt=urn:btih:`. */
  infoHash: string
  /** `dn`, when given. */
  name?: string
  /** `tr`: tracker URLs. */
  trackers: string[]
  /** `ws`: web seed URLs. */
  webSeeds: string[]
  /** `as`: acceptable sources (web seeds to WebTorrent). */
  acceptableSources: string[]
  /** `xs`: exact sources (a .torrent URL, or a `urn:btpk:` key). */
  sources: string[]
  /** `x.pe`: peer hints, `host:port` strings as given (see src/input/peer-address.ts). */
  peers: string[]
  /** The magnet as given. */
  raw: string
  /** magnet-uri's reading, for re-encoding a changed magnet with the same library. */
  decoded: MagnetData
}

/** Parses a magnet URI; throws TOD_ERR_BAD_MAGNET with the reason. */
export function parseMagnet (uri: string): Magnet {
  if (uri.length > MAX_MAGNET_LENGTH) throw bad('it is longer than 16 KiB')
  if (!uri.startsWith('magnet:?')) throw bad('a magnet link starts with "magnet:?"')
  let decoded: MagnetData
  try {
    decoded = magnetDecode(uri)
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_MAGNET', { reason: 'it does not decode' }, { cause: err })
  }
  const hashes = new Set<string>()
  for (const xt of strings(decoded.xt)) {
    const m = /^urn:btih:(.*)$/i.exec(xt)
    if (m === null) continue
    try {
      hashes.add(normalizeInfoHash(m[1]!))
    } catch (err) {
      throw new TodError('TOD_ERR_BAD_MAGNET', { reason: 'its info-hash is not 40 hex or 32 base32 characters' }, { cause: err })
    }
  }
  if (hashes.size === 0) throw bad('it has no "xt=urn:btih:" info-hash')
  // Two hashes name two torrents: the edge would route one and WebTorrent fetch the other.
  if (hashes.size > 1) throw bad('the info-hashes of its xt parameters disagree')
  const [infoHash] = hashes as unknown as [string]
  if (decoded.infoHash !== infoHash) throw bad('its xt must be spelt "urn:btih:" in lower case')
  const name = strings(decoded.name)[0]
  return {
    infoHash,
    ...(name !== undefined ? { name } : {}),
    trackers: strings(decoded.announce),
    webSeeds: strings(decoded.ws),
    acceptableSources: strings(decoded.as),
    sources: strings(decoded.xs),
    peers: strings(decoded.peerAddresses),
    raw: uri,
    decoded
  }
}

/** A bare info-hash (40 hex or 32 base32 characters), as the API also takes one. */
export function isBareInfoHash (text: string): boolean {
  return /^([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.test(text)
}

function bad (reason: string): TodError {
  return new TodError('TOD_ERR_BAD_MAGNET', { reason })
}

/** A magnet-uri value (one string, several, or none) as a list of distinct strings. */
export function strings (v: unknown): string[] {
  const list = Array.isArray(v) ? v : v === undefined ? [] : [v]
  return [...new Set(list.filter((s): s is string => typeof s === 'string'))]
}
