/**
 * Small networking helpers for tests. Everything here talks to the loopback
 * interface only.
 */
import net from 'node:net'

/** The only host test fixtures bind to or connect to. */
export const LOOPBACK = '127.0.0.1'

/**
 * Ask the OS for a currently free TCP port on 127.0.0.1.
 *
 * The port is released before the promise resolves, so there is an
 * unavoidable (tiny) race with other processes; callers that hand the port to
 * a child process should be ready to retry on EADDRINUSE.
 */
export function freePort (): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, LOOPBACK, () => {
      const address = server.address()
      if (address === null || typeof address === 'string') {
        server.close()
        reject(new Error('could not determine the port the OS assigned'))
        return
      }
      const { port } = address
      server.close((err) => {
        if (err) reject(err)
        else resolve(port)
      })
    })
  })
}

/**
 * Resolve `true` if a TCP connection to `host:port` can be opened (it is
 * closed again immediately), `false` on refusal/timeout.
 *
 * @param port - TCP port to probe.
 * @param host - defaults to 127.0.0.1.
 * @param timeoutMs - give up after this many milliseconds (default 1000).
 */
export function canConnect (port: number, host: string = LOOPBACK, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host })
    const done = (ok: boolean): void => {
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}
