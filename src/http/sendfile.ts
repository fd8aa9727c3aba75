import { createRequire } from 'node:module'
import type net from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'
import tls from 'node:tls'
import { clientGone, untilCut } from './client-gone.js'

/** The addon in native/sendfile (its src/sendfile.c says what each call does). */
interface Addon {
  sendfile: (sockFd: number, fileFd: number, offset: number, count: number) => number
  waitWritable: (sockFd: number, callback: (status: number) => void) => { cancel: () => void }
}

/**
 * Most bytes one response sends in one turn of the event loop, like nginx's sendfile_max_chunk
 * (2m by default): loopback send buffers grow to several MiB, and one fast client must not keep
 * the other responses waiting that long.
 */
const TURN_BYTES = 2 * 1024 * 1024

/** Errors of a socket whose peer is gone; anything else from sendfile(2) is a bug or a disk error. */
const PEER_GONE: ReadonlySet<string> = new Set(['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNABORTED', 'ETIMEDOUT', 'EHOSTUNREACH'])

let loaded: { addon: Addon } | { reason: string } | undefined

function load (): { addon: Addon } | { reason: string } {
  if (loaded !== undefined) return loaded
  if (process.platform !== 'linux') {
    loaded = { reason: `sendfile(2) is used on Linux only, this is ${process.platform}` }
  } else {
    try {
      loaded = { addon: createRequire(import.meta.url)('tod-p2m-sendfile') as Addon }
    } catch (err) {
      loaded = { reason: `the tod-p2m-sendfile addon did not load (${(err as Error).message.split('\n')[0] ?? ''}); npm ci builds it with node-gyp` }
    }
  }
  return loaded
}

/**
 * Whether {@link sendRange} works in this process; when it does not, why (for one log line:
 * the callers then copy the bytes instead). Loads the addon the first time.
 */
export function sendfileAvailability (): { available: true } | { available: false, reason: string } {
  const l = load()
  return 'addon' in l ? { available: true } : { available: false, reason: l.reason }
}

/**
 * The fd of a socket {@link sendRange} may write into, or null: TLS sockets (their bytes must
 * go through OpenSSL), and sockets without an open libuv handle (destroyed, or not fd-backed).
 */
export function sendableFd (socket: net.Socket): number | null {
  if (socket instanceof tls.TLSSocket || socket.destroyed || !socket.writable) return null
  return handleFd(socket)
}

/**
 * Sends [offset, offset + length) of the open file `fd` into `socket` with sendfile(2), from the
 * page cache straight into the socket (no copy through JavaScript buffers). First waits until
 * what is already queued on the socket (the response headers) has been written, so the bytes go
 * out in order; then alternates sendfile calls and waits for the socket to be writable again.
 * Resolves once every byte is in the socket's send buffer; `onSent` is told each batch.
 *
 * Rejects with an error coded ERR_STREAM_PREMATURE_CLOSE when the client goes away (closed
 * socket, EPIPE, ECONNRESET; the original as `cause`), with {@link WriteIdleError} after
 * `idleMs` without progress (0: never), having destroyed the socket, and with the errno error
 * otherwise (the socket destroyed too: the response cannot be completed). Needs
 * {@link sendfileAvailability} and a {@link sendableFd}.
 */
export async function sendRange (socket: net.Socket, fd: number, offset: number, length: number, idleMs: number, onSent?: (bytes: number) => void): Promise<void> {
  const l = load()
  if (!('addon' in l)) throw new Error(`sendfile is not available: ${l.reason}`)
  const { addon } = l
  const sockFd = sendableFd(socket)
  if (sockFd === null) throw clientGone()
  const idle = new IdleClock(idleMs)
  if (socket.writableLength > 0) await whenWritten(socket, idle)
  let sent = 0
  let pollStatus = 0
  while (sent < length) {
    // Node closes a destroyed socket's fd at once and the number can be reused by the next
    // open: never call sendfile without checking that the fd is still this socket's.
    if (socket.destroyed || !socket.writable || handleFd(socket) !== sockFd) throw clientGone()
    const want = Math.min(length - sent, TURN_BYTES)
    let n: number
    try {
      n = addon.sendfile(sockFd, fd, offset + sent, want)
    } catch (err) {
      socket.destroy()
      throw PEER_GONE.has((err as { code?: string }).code ?? '') ? clientGone(err) : err
    }
    if (n > 0) {
      sent += n
      pollStatus = 0
      idle.progress()
      onSent?.(n)
    } else if (pollStatus < 0) {
      // The socket reported an error and sendfile can neither send nor name it.
      socket.destroy()
      throw clientGone(new Error(`poll error ${pollStatus}`))
    }
    if (sent >= length) break
    if (n === want) await nextTurn() // a full turn: let the other responses have the loop
    else pollStatus = await whenWritable(addon, socket, sockFd, idle)
  }
}

/** Time left before a response that makes no progress is cut off. */
class IdleClock {
  readonly ms: number
  #last = performance.now()
  constructor (ms: number) { this.ms = ms }
  progress (): void { this.#last = performance.now() }
  /** Milliseconds until the deadline; Infinity when there is none. */
  left (): number { return this.ms > 0 ? Math.max(0, this.#last + this.ms - performance.now()) : Infinity }
}

/** Resolves when the writes already queued on `socket` are done. */
async function whenWritten (socket: net.Socket, idle: IdleClock): Promise<void> {
  await untilCut(socket, idle.ms, (done) => {
    socket.write(EMPTY, (err) => { done(err ?? undefined) })
    return () => {}
  }, idle.left())
}

/** Resolves with the poll status (0, or a libuv error code) when the socket can take bytes again. */
async function whenWritable (addon: Addon, socket: net.Socket, sockFd: number, idle: IdleClock): Promise<number> {
  let status = 0
  await untilCut(socket, idle.ms, (done) => {
    const wait = addon.waitWritable(sockFd, (s) => { status = s; done() })
    return () => { wait.cancel() }
  }, idle.left())
  return status
}

const EMPTY = Buffer.alloc(0)

/**
 * Node internals: a net.Socket's `_handle` is its libuv handle (TCPWrap, PipeWrap), whose `fd`
 * is the socket's file descriptor on Unix (-1 once closed); `_handle` is null after destroy.
 */
function handleFd (socket: net.Socket): number | null {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle?.fd
  return typeof fd === 'number' && fd >= 0 ? fd : null
}
