import { TodError } from '../errors.js'

/** Query parameters access reads on every route: never part of a magnet. */
const ACCESS_PARAMS = ['exp', 'sig']

/**
 * Splits `/stream?magnet=...` the way a person pasting a magnet means it: a magnet pasted
 * unencoded has its own `&tr=` and `&x.pe=` parts, which arrive as separate query parameters.
 * Everything after `magnet=` that is not one of the route's own parameters (`own`, plus `exp`
 * and `sig`) belongs to the magnet. An encoded magnet (`magnet=magnet%3A%3F...`) is taken as
 * it is. Returns the magnet (null when absent) and the route's own parameters.
 */
export function splitMagnetQuery (search: string, own: readonly string[]): { magnet: string | null, params: URLSearchParams } {
  const query = search.startsWith('?') ? search.slice(1) : search
  const pieces = query === '' ? [] : query.split('&')
  const at = pieces.findIndex((p) => p.startsWith('magnet='))
  if (at === -1) return { magnet: null, params: new URLSearchParams(query) }
  const reserved = new Set([...own, ...ACCESS_PARAMS])
  const keyOf = (piece: string): string => decode(piece.split('=')[0] ?? '')
  const first = (pieces[at] as string).slice('magnet='.length)
  const raw = /^magnet:\?/i.test(first)
  const rest = pieces.slice(at + 1)
  const mine = [...pieces.slice(0, at), ...rest].filter((p) => reserved.has(keyOf(p)))
  const magnet = raw ? [first, ...rest.filter((p) => !reserved.has(keyOf(p)))].join('&') : decode(first.replace(/\+/g, ' '))
  return { magnet, params: new URLSearchParams(mine.join('&')) }
}

function decode (s: string): string {
  try {
    return decodeURIComponent(s)
  } catch (err) {
    throw new TodError('TOD_ERR_BAD_QUERY', { reason: 'the query string is not valid percent-encoding' }, { cause: err })
  }
}
