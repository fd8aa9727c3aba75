/**
 * The one error catalogue. Every failure a client can see has a stable code, an HTTP status,
 * a message and, where the failure has particulars, a message template whose `{name}` slots
 * callers fill with parameters (never free text). Errors become HTTP only at the edge
 * (src/http/respond.ts, through {@link errorBody}) and cross thread and process boundaries as
 * {@link SerializedError} (through {@link serializeError}).
 */

interface CatalogueEntry {
  status: number
  /** The message when no parameters are given. */
  message: string
  /** The message with parameters: `{name}` slots, each filled by the parameter of that name. */
  template?: string
}

export const ERRORS = {
  TOD_ERR_BAD_MAGNET: { status: 400, message: 'the magnet link is not valid', template: 'the magnet link is not valid: {reason}' },
  TOD_ERR_BAD_INFOHASH: { status: 400, message: 'the info-hash is not 40 hex or 32 base32 characters' },
  TOD_ERR_BAD_FILE_ID: { status: 400, message: 'the file id is not a non-negative integer' },
  TOD_ERR_BAD_QUERY: { status: 400, message: 'the request is missing or has an invalid parameter', template: 'the request is not valid: {reason}' },
  TOD_ERR_UNAUTHORIZED: { status: 401, message: 'a bearer token or a signed URL is required', template: 'a bearer token or a signed URL is required: {reason}' },
  TOD_ERR_FORBIDDEN: { status: 403, message: 'access denied', template: 'access denied: {reason}' },
  TOD_ERR_PRIVATE_NETWORK: {
    status: 403,
    message: 'every peer and tracker of this magnet is on a private network, which security.allow_private_networks refuses; ' +
      'start with --allow-private-networks to stream from a LAN swarm'
  },
  TOD_ERR_BLOCKED_ADDRESS: { status: 403, message: 'refused to connect to a non-public address', template: 'refused to connect to non-public address {address}' },
  TOD_ERR_NOT_FOUND: { status: 404, message: 'no such route', template: 'no such {thing}; {hint}' },
  TOD_ERR_METHOD: { status: 405, message: 'method not allowed', template: 'method not allowed: {reason}' },
  TOD_ERR_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  TOD_ERR_UNKNOWN_TORRENT: { status: 404, message: 'the torrent is not known to this server' },
  TOD_ERR_UNKNOWN_FILE: { status: 404, message: 'the torrent has no file with this id' },
  TOD_ERR_NO_PLAYABLE_FILE: { status: 404, message: 'the torrent has no files' },
  TOD_ERR_BAD_TORRENT: { status: 400, message: 'the .torrent file is not valid', template: 'the .torrent file is not valid: {reason}' },
  TOD_ERR_TOO_MANY_FILES: {
    status: 400,
    message: 'the torrent lists more files or longer paths than this server takes',
    template: 'the torrent lists {files} files with {pathBytes} bytes of paths; this server takes at most {maxFiles} files and {maxPathBytes} bytes of paths'
  },
  TOD_ERR_PATH_TOO_LONG: {
    status: 400,
    message: 'a file path in the torrent is longer than the file system allows',
    template: 'the path of file {file} would be longer than the {max} bytes the file system allows'
  },
  TOD_ERR_BAD_BODY: { status: 400, message: 'the request body is not valid', template: 'the request body is not valid: {reason}' },
  TOD_ERR_IN_USE: { status: 409, message: 'the torrent is being streamed' },
  TOD_ERR_PRECONDITION: { status: 412, message: 'precondition failed' },
  TOD_ERR_TOO_LARGE: { status: 413, message: 'the request body is too large', template: 'the body is larger than {limit} bytes' },
  TOD_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'the file is not of this kind', template: '{name} is not {kind} ({mime})' },
  TOD_ERR_RANGE: { status: 416, message: 'the range is not satisfiable' },
  TOD_ERR_EXPECTATION: { status: 417, message: 'the Expect header is not supported' },
  TOD_ERR_RATE_LIMITED: { status: 429, message: 'too many requests', template: 'too many requests; retry in {seconds} s' },
  TOD_ERR_TOO_MANY_TORRENTS: { status: 429, message: 'the torrent limit is reached', template: '{holder} holds its maximum of {max} torrents; delete some first' },
  TOD_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  TOD_ERR_UNSAFE_PATH: { status: 400, message: 'a file path in the torrent escapes its folder', template: 'a file path in the torrent is not safe: {reason}' },
  TOD_ERR_NOT_READY: { status: 503, message: 'the engine is not ready', template: 'shard {shard} is restarting; retry in a few seconds' },
  TOD_ERR_SHUTTING_DOWN: { status: 503, message: 'the server is shutting down' },
  TOD_ERR_ENGINE: { status: 503, message: 'the engine failed to answer', template: 'the engine failed: {reason}; retry, and see the daemon log if it lasts' },
  TOD_ERR_READ_CANCELLED: { status: 503, message: 'the engine cancelled the read (its stream was released or replaced by a newer read); retry the request' },
  TOD_ERR_METADATA_TIMEOUT: { status: 504, message: 'the torrent metadata was not found in time' },
  TOD_ERR_STALLED: { status: 504, message: 'the pieces were not downloaded in time', template: 'piece {piece} did not arrive within {ms} ms' },
  TOD_ERR_DISK_FULL: {
    status: 507,
    message: 'the data folder (torrent.dir) is full or failed a write; free space there or lower torrent.max_disk_usage, then retry'
  },
  TOD_ERR_CORRUPT_MEDIA: {
    status: 422,
    message: 'the media file is damaged or incomplete',
    template: 'the media file is damaged or incomplete ({reason}); play another copy, or fetch its bytes with /stream'
  },
  TOD_ERR_MEDIA_FAILED: { status: 502, message: 'ffmpeg failed to make this media', template: '{reason}; retry, and see the daemon log if it lasts' },
  TOD_ERR_NO_FFMPEG: {
    status: 503,
    message: 'ffmpeg is not installed (apt-get install ffmpeg)',
    template: '{program} cannot be run here: apt-get install ffmpeg, or set media.ffmpeg_path and media.ffprobe_path'
  },
  TOD_ERR_MEDIA_BUSY: { status: 503, message: 'too many media sessions; retry later', template: '{reason}; retry in {seconds} s' },
  TOD_ERR_MEDIA_TIMEOUT: {
    status: 504,
    message: 'ffmpeg did not finish in time',
    template: '{what} did not finish within {seconds} s (the pieces it reads may be slow to arrive); retry'
  },
  TOD_ERR_INTERNAL: { status: 500, message: 'internal error' }
} as const satisfies Record<string, CatalogueEntry>

export type ErrorCode = keyof typeof ERRORS

/** The `{name}` slots of a template. */
type Slots<S extends string> = S extends `${string}{${infer P}}${infer Rest}` ? P | Slots<Rest> : never

/** The parameters a code's template takes; `never` for codes without a template. */
export type ErrorParams<C extends ErrorCode> = (typeof ERRORS)[C] extends { template: infer T extends string }
  ? { readonly [K in Slots<T>]: string | number }
  : never

/**
 * Longest text of one parameter. Parameters can come from strangers (a file name, a host), and
 * a message must never echo unbounded input.
 */
export const MAX_PARAM_LENGTH = 64

/** A string a stranger sent, cut to `max` characters for a message or a log line. */
export function bounded (value: string, max = MAX_PARAM_LENGTH): string {
  return value.length <= max ? value : value.slice(0, max - 1) + '…'
}

/** An error as it crosses IPC or a thread boundary. */
export interface SerializedError {
  code: ErrorCode
  message: string
  /** The error's response headers (Retry-After ...), when it has any. */
  headers?: Record<string, string>
}

export interface TodErrorOptions { cause?: unknown, headers?: Record<string, string> }

/** An error from the catalogue, with its template's parameters and optionally a cause. */
export class TodError<C extends ErrorCode = ErrorCode> extends Error {
  readonly code: C
  readonly status: number
  /** Response headers that belong to this error (e.g. Content-Range on a 416). */
  readonly headers: Readonly<Record<string, string>>

  /**
   * `new TodError(code)` has the catalogue's message; `new TodError(code, params)` fills the
   * code's template. There is no free-text form: a new message is a template in {@link ERRORS}.
   */
  constructor (code: C, params?: ErrorParams<C>, options?: TodErrorOptions) {
    super(formatMessage(code, params), options)
    this.name = 'TodError'
    this.code = code
    this.status = ERRORS[code].status
    this.headers = options?.headers ?? {}
  }
}

/** The message of `code` with `params` in its template (each cut to {@link MAX_PARAM_LENGTH}). */
export function formatMessage (code: ErrorCode, params?: Readonly<Record<string, string | number>>): string {
  const entry: CatalogueEntry = ERRORS[code]
  // Only a parameter object fills a template (a string from untyped code is not a message).
  if (typeof params !== 'object' || entry.template === undefined) return entry.message
  return entry.template.replace(/\{(\w+)\}/g, (slot, name: string) => {
    const v = params[name]
    return v === undefined ? slot : bounded(String(v))
  })
}

/** Turns anything thrown into a catalogue error; unknown errors become TOD_ERR_INTERNAL. */
export function toTodError (err: unknown): TodError {
  if (err instanceof TodError) return err
  if (isSerializedError(err)) return withMessage(new TodError(err.code, undefined, err.headers !== undefined ? { headers: err.headers } : undefined), bounded(err.message, 1024))
  return new TodError('TOD_ERR_INTERNAL', undefined, { cause: err })
}

/** The one form an error takes across a boundary (IPC, thread messages). */
export function serializeError (err: unknown): SerializedError {
  const e = toTodError(err)
  const headers = Object.keys(e.headers).length > 0 ? { headers: { ...e.headers } } : {}
  return { code: e.code, message: e.code === 'TOD_ERR_INTERNAL' ? describe(err) : e.message, ...headers }
}

/** The JSON body of an error response, `{"error":{"code","message"}}`: the only place it is built. */
export function errorBody (err: unknown): { error: { code: ErrorCode, message: string } } {
  const e = toTodError(err)
  // An internal error's own text (an fs path, a library's message) is for the log, never for
  // the client: that one always gets the catalogue's words.
  return { error: { code: e.code, message: e.code === 'TOD_ERR_INTERNAL' ? ERRORS.TOD_ERR_INTERNAL.message : e.message } }
}

/**
 * `e` with `message`: a catalogue error coming back across a boundary (its message was built
 * from the catalogue on the other side). Not exported: free text must not come back.
 */
function withMessage<E extends TodError> (e: E, message: string): E {
  e.message = message
  return e
}

function describe (err: unknown): string {
  return bounded(err instanceof Error ? err.message : String(err), 1024)
}

function isSerializedError (v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null &&
    typeof (v as { code?: unknown }).code === 'string' && (v as { code: string }).code in ERRORS &&
    typeof (v as { message?: unknown }).message === 'string'
}
