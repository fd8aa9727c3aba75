// sendRange (the sendfile(2) addon and its wrapper) between a real net server and client on
// 127.0.0.1: bytes compared with the file, slow and vanished clients, the idle timeout, and the
// file descriptors the waits open and close.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { WriteIdleError } from '../../../src/http/client-gone.js'
import { sendRange, sendableFd, sendfileAvailability } from '../../../src/http/sendfile.js'
import { waitFor } from '../../helpers/async.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-sendfile-'))
// Larger than what loopback's send and receive buffers hold together (tcp_wmem 4 MiB and
// tcp_rmem up to 32 MiB here), so a client that does not read makes sendfile hit EAGAIN.
const SIZE = 48 * 1024 * 1024 + 12345
const bytes = crypto.randomBytes(SIZE)
const file = path.join(work, 'data.bin')
fs.writeFileSync(file, bytes)
const handle = await fs.promises.open(file, 'r')
t.teardown(async () => {
  await handle.close()
  fs.rmSync(work, { recursive: true, force: true })
})

interface Pair {
  /** The server's end of the connection (what sendRange writes into). */
  server: net.Socket
  client: net.Socket
  close: () => void
}

/** A connected pair of sockets through a real listening server on 127.0.0.1. */
async function connect (t: Test): Promise<Pair> {
  const listener = net.createServer()
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve))
  const accepted = new Promise<net.Socket>((resolve) => listener.once('connection', resolve))
  const client = net.connect((listener.address() as net.AddressInfo).port, '127.0.0.1')
  const server = await accepted
  listener.close() // the pair stays connected; no listening fd left behind
  await new Promise<void>((resolve) => { if (client.connecting) client.once('connect', () => { resolve() }); else resolve() })
  client.on('error', () => {})
  server.on('error', () => {})
  const close = (): void => { client.destroy(); server.destroy() }
  t.teardown(close)
  return { server, client, close }
}

/** Everything the client receives until the connection ends. */
async function drain (client: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  client.on('data', (c: Buffer) => chunks.push(c))
  await new Promise<void>((resolve) => client.once('close', () => { resolve() }))
  return Buffer.concat(chunks)
}

/** Inodes of the sockets this process has open, with how many fds point at each. */
function socketFds (): Map<string, number> {
  const counts = new Map<string, number>()
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    let target: string
    try {
      target = fs.readlinkSync(`/proc/self/fd/${fd}`)
    } catch {
      continue // the fd readdir itself used
    }
    if (target.startsWith('socket:')) counts.set(target, (counts.get(target) ?? 0) + 1)
  }
  return counts
}
const fdCount = (): number => fs.readdirSync('/proc/self/fd').length
/** The socket (`socket:[inode]`) an fd of this process points at. */
const socketOf = (fd: number): string => fs.readlinkSync(`/proc/self/fd/${fd}`)

/** A few turns of the event loop: uv_close callbacks (which close the dups) run on the next one. */
async function turns (n = 3): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve))
}

t.test('the addon loads on Linux', async (t) => {
  if (process.platform !== 'linux') {
    t.same(sendfileAvailability().available, false)
    return
  }
  t.same(sendfileAvailability(), { available: true }, 'npm ci builds native/sendfile with node-gyp')
})

const linux = { skip: process.platform !== 'linux' ? 'sendfile(2) is used on Linux only' : false }

t.test('a whole file, byte for byte, with the bytes reported as they go', linux, async (t) => {
  const { server, client } = await connect(t)
  const received = drain(client)
  let reported = 0
  await sendRange(server, handle.fd, 0, SIZE, 10_000, (n) => { reported += n })
  server.end()
  const got = await received
  t.equal(got.length, SIZE)
  t.ok(got.equals(bytes), 'identical')
  t.equal(reported, SIZE, 'onSent adds up to the length')
})

t.test('a range in the middle', linux, async (t) => {
  const { server, client } = await connect(t)
  const received = drain(client)
  const offset = 3 * 1024 * 1024 + 4321
  const length = 5 * 1024 * 1024 + 77
  await sendRange(server, handle.fd, offset, length, 10_000)
  server.end()
  t.ok((await received).equals(bytes.subarray(offset, offset + length)), 'identical to the slice')
})

t.test('what is already queued on the socket goes first (the headers)', linux, async (t) => {
  const { server, client } = await connect(t)
  client.pause()
  // 8 MiB that cannot all be written before the client reads: still queued in Node when
  // sendRange starts.
  const head = crypto.randomBytes(8 * 1024 * 1024)
  server.write(head)
  t.ok(server.writableLength > 0, 'something is queued')
  const received = drain(client)
  const sending = sendRange(server, handle.fd, 0, 1024 * 1024, 10_000)
  client.resume()
  await sending
  server.end()
  t.ok((await received).equals(Buffer.concat([head, bytes.subarray(0, 1024 * 1024)])), 'queued bytes, then the file')
})

t.test('a client that reads slowly gets every byte; the sender waits for it meanwhile', linux, async (t) => {
  const { server, client } = await connect(t)
  client.pause()
  let reported = 0
  const sending = sendRange(server, handle.fd, 0, SIZE, 10_000, (n) => { reported += n })
  let settled = false
  sending.then(() => { settled = true }, () => { settled = true })
  // sendfile hit EAGAIN and waits for writable: the poll watches a dup of the socket, so one
  // socket has two fds (there is no event to await for this).
  const dups = (): number => [...socketFds().values()].filter((n) => n === 2).length
  await waitFor(() => dups() === 1, { timeoutMs: 10_000, intervalMs: 20, what: 'a dup of the socket being polled' })
  t.notOk(settled, 'still sending')
  t.ok(reported < SIZE, `blocked at ${reported} of ${SIZE} bytes while the client did not read`)
  // Then read in small sips: pause and resume.
  const chunks: Buffer[] = []
  client.on('data', (c: Buffer) => {
    chunks.push(c)
    client.pause()
    setTimeout(() => client.resume(), 1)
  })
  client.resume()
  await sending
  server.end()
  await new Promise<void>((resolve) => client.once('end', () => { resolve() }))
  t.ok(Buffer.concat(chunks).equals(bytes), 'identical')
  await turns()
  t.equal(dups(), 0, 'the dup is closed')
})

t.test('a client that goes away mid-send: premature close, no fd left open', linux, async (t) => {
  await turns()
  const baseline = fdCount()
  const { server, client } = await connect(t)
  const inode = socketOf(sendableFd(server) ?? -1)
  let got = 0
  client.on('data', (c: Buffer) => {
    got += c.length
    // After the first MiB: away, with unread bytes in its buffer (the kernel answers with a reset).
    if (got > 1024 * 1024) client.destroy()
  })
  const err = await sendRange(server, handle.fd, 0, SIZE, 10_000).then(() => null, (e: unknown) => e as Error & { code?: string })
  t.ok(err !== null, 'rejected')
  t.equal(err?.code, 'ERR_STREAM_PREMATURE_CLOSE')
  t.not(err?.name, 'WriteIdleError')
  t.ok(server.destroyed, 'the server socket is destroyed')
  t.equal(sendableFd(server), null, 'a destroyed socket has no fd to send to')
  await turns()
  t.equal(socketFds().get(inode), undefined, 'no fd (nor dup) of the server socket is open')
  t.equal(fdCount(), baseline, 'as many fds as before the connection')
})

t.test('a client that never reads is cut off after the idle time', linux, async (t) => {
  await turns()
  const baseline = fdCount()
  const { server, client } = await connect(t)
  const inode = socketOf(sendableFd(server) ?? -1)
  client.pause()
  const started = performance.now()
  const err = await sendRange(server, handle.fd, 0, SIZE, 400).then(() => null, (e: unknown) => e as Error & { code?: string })
  const ms = performance.now() - started
  t.ok(err instanceof WriteIdleError, `WriteIdleError (${String(err)})`)
  t.equal(err?.code, 'ERR_STREAM_PREMATURE_CLOSE')
  t.ok(ms >= 390 && ms < 5000, `after ${Math.round(ms)} ms`) // Node's timer clock is whole ms, up to 1 ms behind
  t.ok(server.destroyed, 'the socket is destroyed')
  client.destroy()
  await turns()
  t.equal(socketFds().get(inode), undefined, 'no fd (nor dup) of the server socket is open')
  t.equal(fdCount(), baseline, 'as many fds as before the connection')
})

t.test('a range past the end of the file fails instead of waiting for ever', linux, async (t) => {
  const { server, client } = await connect(t)
  const received = drain(client)
  const err = await sendRange(server, handle.fd, SIZE - 1000, 5000, 10_000).then(() => null, (e: unknown) => e as Error & { code?: string })
  t.equal(err?.code, 'ERR_SENDFILE_EOF')
  t.ok(server.destroyed, 'the response cannot be completed: the socket is destroyed')
  t.equal((await received).length, 1000, 'the bytes the file has were sent')
})

t.test('a socket that is not plain TCP, or closed, has no sendable fd', linux, async (t) => {
  const { server } = await connect(t)
  t.type(sendableFd(server), 'number')
  server.destroy()
  t.equal(sendableFd(server), null)
  const err = await sendRange(server, handle.fd, 0, 10, 1000).then(() => null, (e: unknown) => e as Error & { code?: string })
  t.equal(err?.code, 'ERR_STREAM_PREMATURE_CLOSE')
})
