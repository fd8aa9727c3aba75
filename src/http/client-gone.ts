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

/** What a response write waits on: a ServerResponse or its net.Socket. */
export interface Cuttable {
  readonly destroyed: boolean
  on: (event: 'close', listener: () => void) => unknown
  off: (event: 'close', listener: () => void) => unknown
  destroy: () => unknown
}

/**
 * Resolves when `start` calls back (it returns its own cancel); rejects with {@link clientGone}
 * if `target` closes first (or is destroyed already), and with {@link WriteIdleError} when the
 * client takes nothing for `idleMs` (0: never), destroying `target`: a client that stopped
 * reading would otherwise hold its socket, file and window for ever. `leftMs` is the part of
 * `idleMs` still to run when the wait starts (a sender that measures idleness across waits).
 */
export async function untilCut (target: Cuttable, idleMs: number, start: (done: (err?: Error) => void) => () => void, leftMs = idleMs): Promise<void> {
  if (target.destroyed) throw clientGone()
  await new Promise<void>((resolve, reject) => {
    let settled = false
    let cancel = (): void => {}
    const timer = idleMs > 0 ? setTimeout(() => { done(new WriteIdleError(idleMs)); target.destroy() }, Math.max(0, leftMs)) : undefined
    const onClose = (): void => { done(clientGone()) }
    const done = (err?: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      target.off('close', onClose)
      cancel()
      if (err === undefined) resolve()
      else reject(err)
    }
    target.on('close', onClose)
    cancel = start((err) => { done(err === undefined ? undefined : clientGone(err)) })
    if (settled) cancel()
  })
}
