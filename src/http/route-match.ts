import { TodError } from '../errors.js'
import { normalizeInfoHash } from '../infohash.js'
import { NO_RENDITION, NO_SEGMENT } from '../media/not-found.js'

/**
 * Path parameters a route pattern may name, and what each is parsed into. A pattern segment
 * `:name` takes one non-empty path segment; a last segment `*name` takes the rest of the path
 * (nothing, or any segments: the file name players like to see). Values are the raw
 * (percent-encoded) segments, so `%2F` never splits one and dot-segments are already resolved
 * by the URL parser.
 */
export interface ParamTypes {
  /** 40 hex digits or 32 base32 characters; lower-case hex after parsing. */
  infoHash: string
  /** A file's index in its torrent. */
  fileId: number
  /** A shard's number (debug routes). */
  shard: number
  /** `{infoHash}.m3u` or `.m3u8`: the info-hash. */
  playlist: string
  /** The ignored trailing file name (raw, possibly empty). */
  name: string
  /** An HLS rendition: `v0` video, `a1` audio, `t0` a text track, `f3` a sidecar file's id. */
  rendition: string
  /** An HLS segment, `12.ts` or `0.vtt`: its number and kind. */
  segment: { index: number, kind: 'ts' | 'vtt' }
  /** `{fileId}.vtt`: the id of the file whose subtitles are asked for. */
  subtitle: number
}

type ParamName = keyof ParamTypes

/** The names a pattern declares, at the type level: '/a/:infoHash/*name' gives 'infoHash' | 'name'. */
export type ParamNames<P extends string> =
  P extends `${string}/${':' | '*'}${infer N}/${infer Rest}` ? (N & ParamName) | ParamNames<`/${Rest}`>
    : P extends `${string}/${':' | '*'}${infer N}` ? N & ParamName
      : never

/** The parsed parameters of pattern `P`. */
export type Params<P extends string> = { [K in ParamNames<P>]: ParamTypes[K] }

const PARSERS: { [K in ParamName]: (raw: string) => ParamTypes[K] } = {
  infoHash: normalizeInfoHash,
  fileId: parseFileId,
  shard: parseFileId,
  playlist: (raw) => normalizeInfoHash(/^(.*)\.m3u8?$/.exec(raw)?.[1] ?? ''),
  name: (raw) => raw,
  rendition: parseRendition,
  segment: parseSegment,
  subtitle: (raw) => parseFileId(/^(.*)\.vtt$/.exec(raw)?.[1] ?? '')
}

type Segment = { kind: 'literal', text: string } | { kind: 'param', name: ParamName } | { kind: 'rest', name: ParamName }

/** A compiled pattern: matching splits the path once; parsing (which may throw 400s) is separate. */
export class PathPattern<P extends string> {
  readonly pattern: P
  readonly #segments: Segment[]

  constructor (pattern: P) {
    this.pattern = pattern
    this.#segments = pattern.split('/').slice(1).map((s, i, all): Segment => {
      if (s.startsWith(':')) return { kind: 'param', name: paramName(s.slice(1)) }
      if (s.startsWith('*')) {
        if (i !== all.length - 1) throw new Error(`${pattern}: *${s} must be the last segment`)
        return { kind: 'rest', name: paramName(s.slice(1)) }
      }
      return { kind: 'literal', text: s }
    })
  }

  /**
   * The raw parameters of `pathname` and the path without its rest parameter (what a signed
   * URL covers), or null when the path is not of this pattern.
   */
  match (pathname: string): { raw: Map<ParamName, string>, fixedPath: string } | null {
    const parts = pathname.split('/').slice(1)
    const raw = new Map<ParamName, string>()
    for (const [i, seg] of this.#segments.entries()) {
      if (seg.kind === 'rest') {
        raw.set(seg.name, parts.slice(i).join('/'))
        return { raw, fixedPath: '/' + parts.slice(0, i).join('/') }
      }
      const part = parts[i]
      if (part === undefined) return null
      if (seg.kind === 'literal' ? part !== seg.text : part === '') return null
      if (seg.kind === 'param') raw.set(seg.name, part)
    }
    return parts.length === this.#segments.length ? { raw, fixedPath: pathname } : null
  }

  /** Parses the raw parameters (TOD_ERR_BAD_INFOHASH, TOD_ERR_BAD_FILE_ID, ...). */
  parse (raw: Map<ParamName, string>): Params<P> {
    const out: Partial<Record<ParamName, ParamTypes[ParamName]>> = {}
    for (const [name, value] of raw) out[name] = PARSERS[name](value)
    // Every name of P was set above (match fills each segment's name): the object is complete.
    return out as Params<P>
  }
}

function paramName (s: string): ParamName {
  if (!Object.hasOwn(PARSERS, s)) throw new Error(`unknown route parameter ${s}: add it to ParamTypes`)
  return s as ParamName
}

/** File ids are small non-negative integers in canonical form. */
export function parseFileId (s: string): number {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(s)) throw new TodError('TOD_ERR_BAD_FILE_ID')
  return Number(s)
}

/** `v0`, `a1`, `t0`, `f3`; anything else names no rendition (404). */
function parseRendition (s: string): string {
  if (!/^[vatf](0|[1-9][0-9]{0,5})$/.test(s)) throw new TodError('TOD_ERR_NOT_FOUND', NO_RENDITION)
  return s
}

/** `N.ts` or `0.vtt`; anything else names no segment (404). */
function parseSegment (s: string): ParamTypes['segment'] {
  const m = /^(0|[1-9][0-9]{0,6})\.(ts|vtt)$/.exec(s)
  if (m === null || (m[2] === 'vtt' && m[1] !== '0')) throw new TodError('TOD_ERR_NOT_FOUND', NO_SEGMENT)
  return { index: Number(m[1]), kind: m[2] === 'vtt' ? 'vtt' : 'ts' }
}
