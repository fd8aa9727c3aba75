import { TodError } from './errors.js'

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'

/**
 * Normalises an info-hash to 40 lower-case hex characters. Accepts hex (v1) and the 32-char
 * base32 form some magnets carry. Throws TOD_ERR_BAD_INFOHASH otherwise.
 */
export function normalizeInfoHash (input: string): string {
  if (/^[0-9a-fA-F]{40}$/.test(input)) return input.toLowerCase()
  if (/^[A-Za-z2-7]{32}$/.test(input)) return base32ToHex(input.toUpperCase())
  throw new TodError('TOD_ERR_BAD_INFOHASH')
}

function base32ToHex (s: string): string {
  let bits = 0
  let value = 0
  let out = ''
  for (const ch of s) {
    value = (value << 5) | BASE32.indexOf(ch)
    bits += 5
    while (bits >= 4) {
      bits -= 4
      out += ((value >> bits) & 0xf).toString(16)
    }
  }
  return out
}

/**
 * The shard that owns a torrent: FNV-1a (32 bit) over the 20 info-hash bytes, modulo the
 * shard count. The one routing function: the supervisor, the shards (when reloading persisted
 * torrents) and tests all call this.
 */
export function shardOf (infoHashHex: string, shards: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < infoHashHex.length; i += 2) {
    h ^= parseInt(infoHashHex.slice(i, i + 2), 16)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h % shards
}
