import parseRange from 'range-parser'

/** The outcome of a Range header against a file of known size. */
export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial', start: number, end: number }
  | { kind: 'unsatisfiable' }

/**
 * RFC 9110 byte ranges (`a-b`, `a-`, `-n`) through range-parser, with overlapping and
 * adjacent ranges combined. One range is served: when several remain after combining, the one
 * the client listed first (a 2000-part header never grows the reply).
 * A header that is not a valid bytes range is ignored (200), as RFC 9110 allows.
 */
export function resolveRange (header: string | undefined, size: number): RangeResult {
  if (header === undefined || header === '') return { kind: 'full' }
  // RFC 9110 14.1.1: a spec whose last position is before its first makes the header invalid.
  if ([...header.matchAll(/(?:^bytes=|,)\s*(\d+)-(\d+)/g)].some((m) => Number(m[2]) < Number(m[1]))) {
    return { kind: 'full' }
  }
  const ranges = parseRange(size, clampSuffixes(header, size), { combine: true })
  if (ranges === -2) return { kind: 'full' }
  if (ranges === -1) return { kind: 'unsatisfiable' }
  if (ranges.type !== 'bytes') return { kind: 'full' }
  const first = ranges[0]
  if (first === undefined) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start: first.start, end: first.end }
}

/**
 * RFC 9110: a suffix longer than the representation selects all of it. range-parser treats
 * `bytes=-N` with N > size as unsatisfiable, so such suffixes are clamped to the size first.
 */
function clampSuffixes (header: string, size: number): string {
  if (size === 0) return header
  return header.replace(/(^bytes=|,)(\s*)-(\d+)/g, (all, lead: string, ws: string, n: string) =>
    Number(n) > size ? `${lead}${ws}-${size}` : all)
}
