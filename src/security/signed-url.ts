import crypto from 'node:crypto'

/**
 * Expiring HMAC-signed URLs: `?exp=UNIX_SECONDS&sig=BASE64URL(HMAC-SHA256(key, path "\n" exp))`.
 * They let a `<video src>`, a player or a playlist fetch a stream without an Authorization
 * header. The signature covers the canonical path only (see {@link canonicalPath}), so the
 * trailing file name players like to see can change without breaking it, and nothing else in
 * the query is trusted.
 */

/** The part of a path a signature covers: `/stream/{ih}/{id}` (the optional name dropped), or the path itself. */
export function canonicalPath (pathname: string): string {
  const parts = pathname.split('/')
  if (parts.length > 4 && ['stream', 'document', 'image'].includes(parts[1] ?? '')) return parts.slice(0, 4).join('/')
  return pathname
}

function mac (key: string, path: string, exp: number): string {
  return crypto.createHmac('sha256', key).update(`${canonicalPath(path)}\n${exp}`).digest('base64url')
}

/** The query string (without `?`) that signs `path` until `exp` (Unix seconds). */
export function signQuery (key: string, path: string, exp: number): string {
  return `exp=${exp}&sig=${mac(key, path, exp)}`
}

export type SignatureVerdict = 'absent' | 'valid' | 'expired' | 'invalid'

/** Checks `exp` and `sig` of a request URL against its path, at `nowSec` (Unix seconds). */
export function verifySignature (key: string, url: URL, nowSec: number): SignatureVerdict {
  const exp = url.searchParams.get('exp')
  const sig = url.searchParams.get('sig')
  if (exp === null && sig === null) return 'absent'
  if (exp === null || sig === null || !/^[0-9]{1,12}$/.test(exp)) return 'invalid'
  const expected = Buffer.from(mac(key, url.pathname, Number(exp)))
  const given = Buffer.from(sig)
  // The MAC is compared before the expiry, so a tampered URL never reads as merely expired.
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'invalid'
  return Number(exp) < nowSec ? 'expired' : 'valid'
}
