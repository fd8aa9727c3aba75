import { normalizeInfoHash } from './infohash.js'
import { isBareInfoHash, parseMagnet as parseMagnetUri } from './input/magnet.js'

export { MAX_MAGNET_LENGTH } from './input/magnet.js'
export type { Magnet } from './input/magnet.js'

export interface ParsedMagnet {
  infoHash: string
  /** The magnet to hand to the engine (a bare info-hash becomes `magnet:?xt=urn:btih:...`). */
  magnet: string
}

/**
 * What the API takes where it wants a magnet: a magnet URI (read by the one parser,
 * src/input/magnet.ts) or a bare info-hash. Throws TOD_ERR_BAD_MAGNET for anything else.
 */
export function parseMagnet (input: string): ParsedMagnet {
  const text = input.trim()
  if (isBareInfoHash(text)) {
    const infoHash = normalizeInfoHash(text)
    return { infoHash, magnet: `magnet:?xt=urn:btih:${infoHash}` }
  }
  return { infoHash: parseMagnetUri(text).infoHash, magnet: text }
}
