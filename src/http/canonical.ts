import { normalizeInfoHash } from '../infohash.js'
import { parseMagnet } from '../magnet.js'

/** Routes whose second path segment starts with the info-hash. */
const BY_PATH = /^\/(stream|document|image|hls|subtitles|torrent|playlist)\/([A-Za-z0-9]{32,40})(?=$|[/.])/

/**
 * Behind a balancer that routes by info-hash (server.hash_routing, packaging/fleet): the
 * path and query a request must be sent to again (307) because it names its torrent in another
 * form than lower-case hex, the only form the balancer hashes; null when it is already in that
 * form or names no torrent (the handler answers those). Never points at a URL that would be
 * redirected again: the rewritten form is canonical by construction.
 */
export function canonicalLocation (url: URL): string | null {
  const path = BY_PATH.exec(url.pathname)
  if (path !== null) {
    const given = path[2] ?? ''
    const infoHash = tryOr(() => normalizeInfoHash(given))
    if (infoHash === null || infoHash === given) return null
    return `/${path[1] ?? ''}/${infoHash}${url.pathname.slice(path[0].length)}${url.search}`
  }
  if (url.pathname !== '/stream') return null
  const param = url.searchParams.get('magnet')
  if (param === null) return null
  const parsed = tryOr(() => parseMagnet(param))
  if (parsed === null) return null
  const { infoHash } = parsed
  // The balancer hashes a bare hex info-hash, or the first urn:btih: value of a magnet.
  const first = /urn:btih:([A-Za-z0-9]*)/i.exec(param)?.[1]
  if (param === infoHash || first === infoHash) return null
  const rewritten = first === undefined ? infoHash : param.replace(/urn:btih:[A-Za-z0-9]*/i, `urn:btih:${infoHash}`)
  const target = new URL(url.href)
  target.searchParams.set('magnet', rewritten)
  return `${target.pathname}${target.search}`
}

function tryOr<T> (f: () => T): T | null {
  try {
    return f()
  } catch {
    return null
  }
}
