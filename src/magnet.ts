import magnetDecode from 'magnet-uri'
import { TodError } from './errors.js'
import { normalizeInfoHash } from './infohash.js'

/** Longest magnet accepted; real ones are a few hundred bytes, with many trackers a few KiB. */
const MAX_MAGNET_LENGTH = 16 * 1024

export interface ParsedMagnet {
  infoHash: string
  /** The magnet to hand to the engine (a bare info-hash becomes `magnet:?xt=urn:btih:...`). */
  magnet: string
}

/**
 * Accepts a magnet URI (with a v1 `xt=urn:btih:` in hex or base32) or a bare info-hash.
 * Throws TOD_ERR_BAD_MAGNET for anything else.
 */
export function parseMagnet (input: string): ParsedMagnet {
  const text = input.trim()
  if (/^([0-9a-fA-F]{40}|[A-Za-z2-7]{32})$/.test(text)) {
    const infoHash = normalizeInfoHash(text)
    return { infoHash, magnet: `magnet:?xt=urn:btih:${infoHash}` }
  }
  if (text.length > MAX_MAGNET_LENGTH) throw new TodError('TOD_ERR_BAD_MAGNET', 'the magnet link is too long')
  if (!/^magnet:\?/i.test(text)) throw new TodError('TOD_ERR_BAD_MAGNET', 'a magnet link starts with "magnet:?"')
  let decoded
  try {
    decoded = magnetDecode(text)
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_MAGNET', undefined, { cause: err })
  }
  // magnet-uri is lenient (39 hex digits decode to some hash), so the xt is checked here.
  const xts = ([] as unknown[]).concat(decoded.xt ?? [])
  const btih = xts.map((xt) => typeof xt === 'string' ? /^urn:btih:(.*)$/i.exec(xt)?.[1] : undefined).find((v) => v !== undefined)
  if (btih === undefined) throw new TodError('TOD_ERR_BAD_MAGNET', 'the magnet link has no "xt=urn:btih:" info-hash')
  try {
    return { infoHash: normalizeInfoHash(btih), magnet: text }
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_MAGNET', 'the magnet link\'s info-hash is malformed', { cause: err })
  }
}
