import parseRange from 'range-parser'

/** The outcome of a Range header against a file of known size. */
export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial', start: number, end: number }
  | { kind: 'unsatisfiable' }

/**
 * RFC 9110 byte ranges (`a-b`, `a-`, `-n`) through range-parser, with overlapping and
 * adjacent ranges combined. One range is served: when several remain after combining, the
 * first (a server may send fewer parts than asked; a 2000-part header never grows the reply).
 * A header that is not a valid bytes range is ignored (200), as RFC 9110 allows.
 */
export function resolveRange (header: string | undefined, size: number): RangeResult {
  if (header === undefined || header === '') return { kind: 'full' }
  const ranges = parseRange(size, header, { combine: true })
  if (ranges === -2) return { kind: 'full' }
  if (ranges === -1) return { kind: 'unsatisfiable' }
  if (ranges.type !== 'bytes') return { kind: 'full' }
  const first = ranges[0]
  if (first === undefined) return { kind: 'unsatisfiable' }
  return { kind: 'partial', start: first.start, end: first.end }
}
