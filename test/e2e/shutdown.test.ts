// Shutdown on the real daemon: SIGTERM lets a slow client finish its response in full within
// the drain deadline and exits 0; an idle daemon stops at once; a second SIGTERM during a drain
// exits at once; nothing is forked once shutdown has begun.
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import type { Daemon } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const SIZE = 16 * 1024 * 1024
/** Bytes per second the slow client reads: the whole file takes ~6.5 s, within the 10 s drain. */
const RATE = 2.5 * 1024 * 1024

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-stop-'))
const file = await makeRandomFile(work, 'big.bin', SIZE)
const bytes = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: 256 * 1024 })
t.teardown(async () => {
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

/** A daemon with the test file downloaded, so a stream is limited by its reader only. */
async function warmDaemon (): Promise<Daemon> {
  const d = await startDaemon({ workers: 2, shards: 2 })
  const warm = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`)
  if (!Buffer.from(await warm.arrayBuffer()).equals(bytes)) throw new Error('warm read differs')
  return d
}

interface SlowRead {
  /** Resolves once `n` body bytes have been read. */
  after: (n: number) => Promise<void>
  /** The whole response (head and body) once the server closes the connection. */
  done: Promise<{ head: string, body: Buffer }>
}

/** GET the file over a raw socket, reading at most RATE bytes per second (pause/resume). */
function slowGet (d: Daemon): SlowRead {
  const socket = net.connect(d.port, '127.0.0.1')
  socket.write(`GET /stream/${seeder.infoHash}/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`)
  const chunks: Buffer[] = []
  let received = 0
  const waiters: Array<{ n: number, resolve: () => void }> = []
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk)
    received += chunk.length
    for (const w of waiters.filter((w) => received >= w.n)) { waiters.splice(waiters.indexOf(w), 1); w.resolve() }
    socket.pause()
    setTimeout(() => socket.resume(), chunk.length / RATE * 1000)
  })
  const done = new Promise<{ head: string, body: Buffer }>((resolve, reject) => {
    socket.once('error', reject)
    socket.once('close', () => {
      const all = Buffer.concat(chunks)
      const end = all.indexOf('\r\n\r\n')
      resolve({ head: all.subarray(0, end).toString(), body: all.subarray(end + 4) })
    })
  })
  const after = async (n: number): Promise<void> => {
    if (received >= n) return
    await new Promise<void>((resolve) => { waiters.push({ n, resolve }) })
  }
  return { after, done }
}

/** Milliseconds from SIGTERM to the daemon's exit, and its exit code. */
async function timedStop (d: Daemon): Promise<{ ms: number, code: number | null }> {
  const started = performance.now()
  const code = await d.stop()
  return { ms: performance.now() - started, code }
}

t.test('SIGTERM: a slow response completes in full within the deadline, then exit 0', async (t) => {
  const d = await warmDaemon()
  const read = slowGet(d)
  await read.after(1024 * 1024)
  const stopped = timedStop(d)
  const { head, body } = await read.done
  t.match(head, /^HTTP\/1\.1 200 /)
  t.match(head, new RegExp(`content-length: ${SIZE}`, 'i'))
  t.equal(body.length, SIZE, 'every byte arrived')
  t.ok(body.equals(bytes), 'byte-identical')
  const { code } = await stopped
  t.equal(code, 0)
})

t.test('SIGTERM on an idle daemon exits 0 in under a second', async (t) => {
  const d = await startDaemon({ workers: 2, shards: 2 })
  await (await fetch(`${d.base}/health`)).arrayBuffer() // a keep-alive connection stays open
  const { ms, code } = await timedStop(d)
  t.equal(code, 0)
  t.ok(ms < 1000, `stopped in ${Math.round(ms)} ms`)
})

t.test('a second SIGTERM during a drain exits at once, front-ends included', async (t) => {
  const d = await warmDaemon()
  const read = slowGet(d)
  read.done.catch(() => {}) // cut by the forced exit
  await read.after(1024 * 1024)
  const exited = new Promise<number | null>((resolve) => { d.proc.once('exit', resolve) })
  d.proc.kill('SIGTERM')
  await d.waitForLog((l) => l.message === 'signal: draining')
  const started = performance.now()
  d.proc.kill('SIGTERM')
  const code = await exited
  t.ok(performance.now() - started < 1000, 'exited at once')
  t.equal(code, 1)
  const pids = d.logs.filter((l) => l.message === 'front-end ready').map((l) => Number(l.pid))
  await Promise.all(pids.map(async (pid) => { await untilGone(pid, 2000) }))
  t.ok(pids.every((pid) => !alive(pid)), 'no front-end outlives the supervisor')
  await d.stop()
})

t.test('a front-end re-forked just before SIGTERM is not left running (nothing forks once shutdown began)', async (t) => {
  const d = await startDaemon({ workers: 2, shards: 2 })
  const ready = d.logs.filter((l) => l.message === 'front-end ready')
  process.kill(Number(ready[0]?.pid), 'SIGKILL')
  await d.waitForLog((l) => l.message === 'front-end exited; re-forking')
  // The new front-end has not got its config yet: it cannot hear a `shutdown` message.
  const { ms, code } = await timedStop(d)
  t.equal(code, 0)
  t.ok(ms < 9000, `stopped in ${Math.round(ms)} ms, not at the drain deadline`)
  t.notOk(d.logs.some((l) => l.message === 'front-end ready' && !ready.includes(l) && d.logs.indexOf(l) > d.logs.findIndex((x) => x.message === 'shutting down')), 'no front-end came up during shutdown')
})

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function untilGone (pid: number, ms: number): Promise<void> {
  const until = performance.now() + ms
  while (alive(pid) && performance.now() < until) await new Promise((resolve) => setTimeout(resolve, 20))
}
