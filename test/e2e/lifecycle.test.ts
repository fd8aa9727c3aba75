// Signals on the real daemon: SIGHUP under load replaces the front-ends without failing
// requests, a broken config on reload is refused, SIGTERM lets a download finish; a taken port
// gives up at once; a flood of /health stays cheap.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import net from 'node:net'
import { startDaemon } from '../helpers/daemon.js'
import { parseMetrics, total } from '../helpers/metrics.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-life-'))
const file = await makeRandomFile(work, 'big.bin', 48 * 1024 * 1024)
const bytes = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: 256 * 1024 })
const configFile = path.join(work, 'config.json')
const writeConfig = (level: string, extra: object = {}): void => fs.writeFileSync(configFile, JSON.stringify({ logging: { level }, ...extra }))
t.teardown(async () => {
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

/** Reads a response slowly (pauses between chunks) and returns its body. */
async function slowRead (res: Response, pauseMs: number): Promise<Buffer> {
  const reader = res.body!.getReader()
  const chunks: Uint8Array[] = []
  for (let r = await reader.read(); r.done !== true; r = await reader.read()) {
    chunks.push(r.value)
    if (chunks.length % 16 === 0) await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
  return Buffer.concat(chunks)
}

t.test('SIGHUP during continuous range requests: at most 0.1% fail, a long download completes', async (t) => {
  writeConfig('info')
  const d = await startDaemon({ args: ['--config', configFile] })
  t.teardown(async () => { await d.stop() })
  // Warm the torrent, so the load below measures the front-ends, not the swarm.
  const warm = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`)
  t.ok(Buffer.from(await warm.arrayBuffer()).equals(bytes), 'warm read')
  const url = `${d.base}/stream/${seeder.infoHash}/0`

  const long = fetch(url).then(async (res) => await slowRead(res, 40))
  let ok = 0
  let failed = 0
  let stop = false
  const clients = Array.from({ length: 4 }, async () => {
    // eslint-disable-next-line no-unmodified-loop-condition -- the test sets it once the reload is done
    while (!stop) {
      const a = crypto.randomInt(bytes.length - 70_000)
      try {
        const res = await fetch(url, { headers: { Range: `bytes=${a}-${a + 65_535}` }, signal: AbortSignal.timeout(10_000) })
        const body = Buffer.from(await res.arrayBuffer())
        if (res.status === 206 && body.equals(bytes.subarray(a, a + 65_536))) ok++
        else failed++
      } catch {
        failed++
      }
    }
  })
  const start = Date.now()
  for (const [at, level] of [[3000, 'debug'], [9000, 'info']] as const) {
    await new Promise((resolve) => setTimeout(resolve, at - (Date.now() - start)))
    writeConfig(level)
    d.proc.kill('SIGHUP')
    await d.waitForLog((l) => l.message === 'reloaded' && d.logs.filter((x) => x.message === 'reloaded').length === (level === 'debug' ? 1 : 2), 20_000)
  }
  await new Promise((resolve) => setTimeout(resolve, 30_000 - (Date.now() - start)))
  stop = true
  await Promise.all(clients)
  t.ok(ok > 100, `${ok} requests succeeded`)
  t.ok(failed <= Math.floor((ok + failed) * 0.001), `${failed} of ${ok + failed} failed`)
  t.ok((await long).equals(bytes), 'the download running across both reloads is byte-identical')
  await d.waitForLog(() => d.logs.filter((l) => l.message === 'front-end retired').length === 4, 20_000)
  t.pass('both front-ends replaced twice, the old ones retired once their responses ended')
  t.ok(d.logs.some((l) => l.message === 'reloaded' && Array.isArray(l.applied) && (l.applied as string[]).includes('logging.level')))
})

t.test('a broken config on reload is refused; the daemon keeps serving', async (t) => {
  writeConfig('info')
  const d = await startDaemon({ args: ['--config', configFile] })
  t.teardown(async () => { await d.stop() })
  fs.writeFileSync(configFile, '{ "logging": { "level": "loud" } }')
  d.proc.kill('SIGHUP')
  const refused = await d.waitForLog((l) => l.message === 'reload refused: invalid configuration; running on the old one')
  t.match(String(refused.err), 'logging.level')
  t.equal((await fetch(`${d.base}/health`)).status, 200)
  writeConfig('info', { torrent: { max_connections: 10 } })
  d.proc.kill('SIGHUP')
  const warn = await d.waitForLog((l) => l.message === 'reload: these settings need a restart; keeping the old values')
  t.same(warn.keys, ['torrent.max_connections'])
})

t.test('SIGTERM during a download lets it finish; exit code 0', async (t) => {
  const d = await startDaemon()
  const warm = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`)
  await warm.arrayBuffer()
  const res = await fetch(`${d.base}/stream/${seeder.infoHash}/0`)
  const body = slowRead(res, 20)
  await new Promise((resolve) => setTimeout(resolve, 300))
  const code = d.stop()
  t.ok((await body).equals(bytes), 'the download finished byte-identical after SIGTERM')
  t.equal(await code, 0)
})

t.test('front-ends that keep crashing: the daemon exits non-zero for systemd to take over', async (t) => {
  const d = await startDaemon({ workers: 1 })
  const exited = new Promise<number | null>((resolve) => { d.proc.once('exit', (code) => resolve(code)) })
  let kills = 0
  for (let i = 0; i < 6 && d.proc.exitCode === null; i++) {
    const ready = d.logs.filter((l) => l.message === 'front-end ready')
    const pid = Number(ready[ready.length - 1]?.pid)
    process.kill(pid, 'SIGKILL')
    kills++
    if (i < 5) await d.waitForLog(() => d.logs.filter((l) => l.message === 'front-end ready').length > ready.length, 20_000).catch(() => {})
  }
  t.equal(await exited, 1, `exit code 1 after ${kills} crashes within a minute`)
  t.ok(d.logs.some((l) => l.message === 'front-ends keep crashing; exiting for the service manager to restart'))
  await d.stop()
})

t.test('a flood of /health costs a handful of shard pings; a stream during it completes', async (t) => {
  const d = await startDaemon({ workers: 2, shards: 2 })
  t.teardown(async () => { await d.stop() })
  const pings = async (): Promise<number> => {
    const scrape = parseMetrics(await (await fetch(`${d.base}/metrics`)).text())
    return total(scrape, 'tod_p2m_engine_task_duration_seconds_count', { task: 'ping' })
  }
  const warm = await fetch(`${d.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`, { headers: { Range: 'bytes=0-1048575' } })
  await warm.arrayBuffer()
  const before = await pings()
  const started = performance.now()
  let left = 2000
  const statuses = new Map<number, number>()
  const client = async (): Promise<void> => {
    while (left-- > 0) {
      const res = await fetch(`${d.base}/health`)
      await res.arrayBuffer()
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
    }
  }
  const stream = (async () => {
    const res = await fetch(`${d.base}/stream/${seeder.infoHash}/0`, { headers: { Range: 'bytes=1048576-9437183' } })
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()) }
  })()
  const [streamed] = await Promise.all([stream, ...Array.from({ length: 8 }, client)])
  const seconds = (performance.now() - started) / 1000
  const spent = await pings() - before
  t.same([...statuses], [[200, 2000]], 'every /health answered 200')
  // At most one readiness computation (a ping per shard) per second, plus the edges.
  t.ok(spent <= 2 * (Math.ceil(seconds) + 2), `${spent} shard pings for 2000 /health in ${seconds.toFixed(1)} s`)
  t.equal(streamed.status, 206)
  t.ok(streamed.body.equals(bytes.subarray(1048576, 9437184)), 'the stream during the flood is byte-identical')
})

t.test('a port already in use: one line that says so, exit 1 at once, no re-fork', async (t) => {
  const holder = net.createServer()
  await new Promise<void>((resolve) => { holder.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { holder.close() })
  const port = (holder.address() as net.AddressInfo).port
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-port-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const { spawn } = await import('node:child_process')
  const main = path.join(process.cwd(), 'dist/src/daemon/main.js')
  const proc = spawn(process.execPath, [main, 'serve', '--port', String(port), '--host', '127.0.0.1', '--dir', dir, '--workers', '2', '--shards', '1'], {
    env: { ...process.env, TOD_P2M_TORRENT_DHT: 'false', TOD_P2M_TORRENT_LSD: 'false', TOD_P2M_TORRENT_NAT_TRAVERSAL: 'false', TOD_P2M_LOGGING_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  proc.stdout.on('data', (b: Buffer) => { out += b.toString() })
  proc.stderr.on('data', (b: Buffer) => { out += b.toString() })
  const timer = setTimeout(() => { proc.kill('SIGKILL') }, 20_000)
  const code = await new Promise<number | null>((resolve) => { proc.once('exit', resolve) })
  clearTimeout(timer)
  t.equal(code, 1, 'exit status 1 (docs/operations.md)')
  const lines = out.split('\n').filter((l) => l.trim() !== '')
  const said = lines.filter((l) => l.includes(`127.0.0.1:${port}`) && l.includes('another process holds it'))
  t.equal(said.length, 1, 'one line names the address, the port and the cause')
  t.notMatch(out, /^\s+at /m, 'no stack trace')
  t.notMatch(out, /re-forking/, 'no front-end was re-forked')
})
