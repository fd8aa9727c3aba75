// Logs of the real daemon: one line per request with its id, torrent lifecycle events with
// the info-hash, and logging.level following a SIGHUP into the shard threads, rebuilt ones too.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import type { LogLine } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-logs-'))
const file = await makeRandomFile(work, 'clip.bin', 1024 * 1024 + 4321)
const seeder = await startSeeder(file, { pieceLength: 64 * 1024 })
const configFile = path.join(work, 'config.json')
// cache_size 0: the torrent is evicted as soon as its stream ends, so eviction is logged too.
const writeConfig = (level: string): void => { fs.writeFileSync(configFile, JSON.stringify({ logging: { level }, torrent: { cache_size: 0 } })) }
writeConfig('info')
const daemon = await startDaemon({ workers: 1, shards: 1, args: ['--config', configFile], env: { TOD_P2M_DEBUG_FAULT_INJECTION: 'true' } })
t.teardown(async () => {
  await daemon.stop()
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const ih = seeder.infoHash
const since = (n: number) => (pred: (l: LogLine) => boolean) => (l: LogLine) => daemon.logs.indexOf(l) >= n && pred(l)

t.test('a stream: one request line with its id, and the torrent\'s lifecycle', async (t) => {
  const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`, { headers: { 'X-Request-Id': 'trace-42' } })
  t.equal(res.status, 200)
  t.equal(res.headers.get('x-request-id'), 'trace-42', 'a safe incoming id is kept')
  t.equal((await res.arrayBuffer()).byteLength, seeder.length)
  const line = await daemon.waitForLog((l) => l.message === 'request' && l.id === 'trace-42')
  t.match(line, { role: 'frontend', route: 'stream-magnet', method: 'GET', path: '/stream', status: 200, bytes: seeder.length, aborted: false })
  t.type(line.ms, 'number')
  t.type(line.ttfbMs, 'number')
  t.ok((line.ttfbMs as number) <= (line.ms as number), 'first byte before the end')
  t.notOk(JSON.stringify(line).includes('btih'), 'no query string (the magnet) in the line')
  t.equal(daemon.logs.filter((l) => l.message === 'request' && l.id === 'trace-42').length, 1, 'logged once')
  for (const message of ['torrent added', 'torrent metadata', 'torrent ready', 'torrent done']) {
    const l = await daemon.waitForLog((l) => l.message === message && l.infoHash === ih)
    t.equal(l.role, 'shard', message)
  }
  t.match(await daemon.waitForLog((l) => l.message === 'torrent added' && l.infoHash === ih), { from: 'magnet' })
  t.match(await daemon.waitForLog((l) => l.message === 'torrent evicted' && l.infoHash === ih), { role: 'supervisor', bytes: Number })
})

t.test('an unsafe or missing X-Request-Id is replaced by a new one', async (t) => {
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
  for (const headers of [{ 'X-Request-Id': 'x'.repeat(65) }, { 'X-Request-Id': 'a"b' }, {}] as Array<Record<string, string>>) {
    const res = await fetch(`${daemon.base}/health/live`, { headers })
    await res.arrayBuffer()
    const id = res.headers.get('x-request-id') ?? ''
    t.match(id, uuid, JSON.stringify(headers))
    await daemon.waitForLog((l) => l.message === 'request' && l.id === id && l.route === 'health-live')
  }
})

t.test('SIGHUP: shard threads take the new logging.level, and a rebuilt one keeps it', async (t) => {
  writeConfig('debug')
  daemon.proc.kill('SIGHUP')
  t.match(await daemon.waitForLog((l) => l.message === 'log level set'), { role: 'shard', shard: 0, logLevel: 'debug' }, 'the running thread')
  await daemon.waitForLog((l) => l.message === 'reloaded')
  // To warn: info lines stop everywhere, in the running thread and in one rebuilt after the
  // reload (which starts from the configuration it is given, not the one at start).
  const mark = daemon.logs.length
  writeConfig('warn')
  daemon.proc.kill('SIGHUP')
  await daemon.waitForLog(since(mark)((l) => l.message === 'signal: reloading'))
  const crash = await fetch(`${daemon.base}/debug/crash-shard/0`, { method: 'POST' })
  t.equal(crash.status, 202)
  await daemon.waitForLog(since(mark)((l) => l.message === 'shard thread died; rebuilding'))
  await waitFor(async () => (await fetch(`${daemon.base}/health`)).status === 200, { what: 'the shard to be rebuilt', timeoutMs: 20_000 })
  const infoFromShards = daemon.logs.slice(mark).filter((l) => l.role === 'shard' && l.level === 'info')
  t.same(infoFromShards, [], 'no info line from a shard thread after the reload to warn')
})
