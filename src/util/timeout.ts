/**
 * Settles like `promise`, or rejects with `onTimeout()` once `ms` pass first. The timer is
 * cleared either way, so a settled race leaves nothing behind to keep the event loop alive.
 * `promise` itself is not cancelled: whoever owns it decides what a timeout means for it.
 */
export async function withTimeout<T> (promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(onTimeout()) }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
