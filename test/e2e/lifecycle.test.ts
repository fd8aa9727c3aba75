// Signals on the real daemon: SIGHUP under load replaces the front-ends without failing
// requests, a broken config on reload is refused, SIGTERM lets a download finish.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
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
