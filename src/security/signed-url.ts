import crypto from 'node:crypto'
import { signedPath } from '../http/routes.js'

/**
 * Expiring HMAC-signed URLs: `?exp=UNIX_SECONDS&sig=BASE64URL(HMAC-SHA256(key, path "\n" exp))`.
 * They let a `<video src>`, a player or a playlist fetch a stream without an Authorization
 * header. The signature covers the route's fixed part of the path (the route table drops a
 * trailing `*name`: {@link signedPath}), so the file name players like to see can change
 * without breaking it, and nothing else in the query is trusted.
 */

function mac (key: string, path: string, exp: number): string {
  return crypto.createHmac('sha256', key).update(`${signedPath(path)}\n${exp}`).digest('base64url')
}

/** The query string (without `?`) that signs `path` until `exp` (Unix seconds). */
export function signQuery (key: string, path: string, exp: number): string {
  return `exp=${exp}&sig=${mac(key, path, exp)}`
}

export type SignatureVerdict = 'absent' | 'valid' | 'expired' | 'invalid'

/** Checks the `exp` and `sig` of a request's query against its path, at `nowSec` (Unix seconds). */
export function verifySignature (key: string, path: string, query: URLSearchParams, nowSec: number): SignatureVerdict {
  const exp = query.get('exp')
  const sig = query.get('sig')
  if (exp === null && sig === null) return 'absent'
  if (exp === null || sig === null || !/^[0-9]{1,12}$/.test(exp)) return 'invalid'
  const expected = Buffer.from(mac(key, path, Number(exp)))
  const given = Buffer.from(sig)
  // The MAC is compared before the expiry, so a tampered URL never reads as merely expired.
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'invalid'
  return Number(exp) < nowSec ? 'expired' : 'valid'
}
