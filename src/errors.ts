/**
 * The one error catalogue. Every failure a client can see has a stable code, an HTTP status
 * and a message. Errors become HTTP only at the edge (src/http/respond.ts) and cross thread and
 * process boundaries as {@link SerializedError}.
 */

export const ERRORS = {
  TOD_ERR_BAD_MAGNET: { status: 400, message: 'the magnet link is not valid' },
  TOD_ERR_BAD_INFOHASH: { status: 400, message: 'the info-hash is not 40 hex or 32 base32 characters' },
  TOD_ERR_BAD_FILE_ID: { status: 400, message: 'the file id is not a non-negative integer' },
  TOD_ERR_BAD_QUERY: { status: 400, message: 'the request is missing or has an invalid parameter' },
  TOD_ERR_UNAUTHORIZED: { status: 401, message: 'a bearer token or a signed URL is required' },
  TOD_ERR_FORBIDDEN: { status: 403, message: 'access denied' },
  TOD_ERR_NOT_FOUND: { status: 404, message: 'no such route' },
  TOD_ERR_METHOD: { status: 405, message: 'method not allowed' },
  TOD_ERR_TIMEOUT: { status: 408, message: 'the request was not received in time' },
  TOD_ERR_UNKNOWN_TORRENT: { status: 404, message: 'the torrent is not known to this server' },
  TOD_ERR_UNKNOWN_FILE: { status: 404, message: 'the torrent has no file with this id' },
  TOD_ERR_NO_PLAYABLE_FILE: { status: 404, message: 'the torrent has no files' },
  TOD_ERR_BAD_TORRENT: { status: 400, message: 'the .torrent file is not valid' },
  TOD_ERR_BAD_BODY: { status: 400, message: 'the request body is not valid' },
  TOD_ERR_IN_USE: { status: 409, message: 'the torrent is being streamed' },
  TOD_ERR_PRECONDITION: { status: 412, message: 'precondition failed' },
  TOD_ERR_TOO_LARGE: { status: 413, message: 'the request body is too large' },
  TOD_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'the file is not of this kind' },
  TOD_ERR_RANGE: { status: 416, message: 'the range is not satisfiable' },
  TOD_ERR_EXPECTATION: { status: 417, message: 'the Expect header is not supported' },
  TOD_ERR_RATE_LIMITED: { status: 429, message: 'too many requests' },
  TOD_ERR_TOO_MANY_TORRENTS: { status: 429, message: 'the torrent limit is reached' },
  TOD_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'the request headers are too large' },
  TOD_ERR_UNSAFE_PATH: { status: 400, message: 'a file path in the torrent escapes its folder' },
  TOD_ERR_NOT_READY: { status: 503, message: 'the engine is not ready' },
  TOD_ERR_SHUTTING_DOWN: { status: 503, message: 'the server is shutting down' },
  TOD_ERR_ENGINE: { status: 503, message: 'the engine failed to answer' },
  TOD_ERR_METADATA_TIMEOUT: { status: 504, message: 'the torrent metadata was not found in time' },
  TOD_ERR_STALLED: { status: 504, message: 'the pieces were not downloaded in time' },
  TOD_ERR_CORRUPT_MEDIA: { status: 422, message: 'the media file is damaged or incomplete' },
  TOD_ERR_MEDIA_FAILED: { status: 502, message: 'ffmpeg failed to make this media' },
  TOD_ERR_NO_FFMPEG: { status: 503, message: 'ffmpeg is not installed (apt-get install ffmpeg)' },
  TOD_ERR_MEDIA_BUSY: { status: 503, message: 'too many media sessions; retry later' },
  TOD_ERR_MEDIA_TIMEOUT: { status: 504, message: 'ffmpeg did not finish in time' },
  TOD_ERR_INTERNAL: { status: 500, message: 'internal error' }
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ERRORS

/** An error as it crosses IPC or a thread boundary. */
export interface SerializedError {
  code: ErrorCode
  message: string
  /** The error's response headers (Retry-After ...), when it has any. */
  headers?: Record<string, string>
}

/** An error from the catalogue, optionally with a more specific message and a cause. */
export class TodError extends Error {
  readonly code: ErrorCode
  readonly status: number
  /** Response headers that belong to this error (e.g. Content-Range on a 416). */
  readonly headers: Readonly<Record<string, string>>

  constructor (code: ErrorCode, message?: string, options?: { cause?: unknown, headers?: Record<string, string> }) {
    super(message ?? ERRORS[code].message, options)
    this.name = 'TodError'
    this.code = code
    this.status = ERRORS[code].status
    this.headers = options?.headers ?? {}
  }
}

/** Turns anything thrown into a catalogue error; unknown errors become TOD_ERR_INTERNAL. */
export function toTodError (err: unknown): TodError {
  if (err instanceof TodError) return err
  if (isSerializedError(err)) return new TodError(err.code, err.message, err.headers !== undefined ? { headers: err.headers } : undefined)
  return new TodError('TOD_ERR_INTERNAL', undefined, { cause: err })
}

/** The form an error takes across a boundary. */
export function serializeError (err: unknown): SerializedError {
  const e = toTodError(err)
  const headers = Object.keys(e.headers).length > 0 ? { headers: { ...e.headers } } : {}
  return { code: e.code, message: e.code === 'TOD_ERR_INTERNAL' ? describe(err) : e.message, ...headers }
}

function describe (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

function isSerializedError (v: unknown): v is SerializedError {
  return typeof v === 'object' && v !== null &&
    typeof (v as { code?: unknown }).code === 'string' && (v as { code: string }).code in ERRORS &&
    typeof (v as { message?: unknown }).message === 'string'
}
