/** The client stopped reading; logged as such, answered with nothing (the socket is closed). */
export class WriteIdleError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE'
  constructor (ms: number) {
    super(`the client took no bytes for ${ms} ms`)
    this.name = 'WriteIdleError'
  }
}

/** The client went away mid-response (the server's error edge answers nothing to it). */
export function clientGone (cause?: unknown): Error {
  return Object.assign(new Error('the client went away', cause === undefined ? undefined : { cause }), { code: 'ERR_STREAM_PREMATURE_CLOSE' })
}
