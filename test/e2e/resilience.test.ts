// Recovery on the real daemon: a front-end killed with SIGKILL, a shard thread that throws, and
// a client that goes away mid-stream.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import type { LogLine } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

interface Health { ready: boolean, shards: Array<{ shard: number, torrents?: number, streams?: number, ready?: boolean }> }

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-resilience-'))
const small = await makeRandomFile(work, 'small.bin', 3 * 1024 * 1024)
const smallBytes = fs.readFileSync(small)
const fast = await startSeeder(small, { pieceLength: 64 * 1024 })
// A slow seeder, so a stream is still running when the client goes away.
const slowFile = await makeRandomFile(work, 'slow.bin', 16 * 1024 * 1024)
const slow = await startSeeder(slowFile, { pieceLength: 64 * 1024, uploadLimit: 1024 * 1024 })
const daemon = await startDaemon({ workers: 2, shards: 2, env: { TOD_P2M_DEBUG_FAULT_INJECTION: 'true' } })
t.teardown(async () => {
  await daemon.stop()
  await fast.stop()
  await slow.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

const health = async (): Promise<Health> => await (await fetch(`${daemon.base}/health`)).json() as Health
const frontendPids = (): Set<number> => new Set(daemon.logs.filter((l) => l.message === 'front-end ready').map((l) => Number(l.pid)))
const since = (n: number) => (pred: (l: LogLine) => boolean) => (l: LogLine) => daemon.logs.indexOf(l) >= n && pred(l)

t.test('kill -9 of a front-end: requests keep succeeding and a new one appears', async (t) => {
  await waitFor(async () => frontendPids().size === 2, { what: 'both front-ends ready', timeoutMs: 20_000 })
  const before = frontendPids()
  const victim = [...before][0] as number
  const mark = daemon.logs.length
  process.kill(victim, 'SIGKILL')
  let failures = 0
  for (let i = 0; i < 200; i++) {
    // A new connection each time, so the kernel spreads them over whatever is listening.
    const res = await fetch(`${daemon.base}/health`, { headers: { Connection: 'close' }, signal: AbortSignal.timeout(5000) }).catch(() => null)
    if (res?.status !== 200) failures++
    await res?.arrayBuffer()
  }
  t.equal(failures, 0, 'no request failed while a front-end was down')
  const exit = await daemon.waitForLog(since(mark)((l) => l.message === 'front-end exited; re-forking'))
  t.equal(exit.pid, victim)
  const fresh = await daemon.waitForLog(since(mark)((l) => l.message === 'front-end ready'))
  t.not(fresh.pid, victim, 'a new front-end process')
  t.equal((await health()).ready, true)
})

t.test('a shard thread that throws is rebuilt and its torrents come back', async (t) => {
  const first = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(fast.magnet)}`)
  t.ok(Buffer.from(await first.arrayBuffer()).equals(smallBytes), 'streamed before the crash')
  const before = await health()
  const shard = before.shards.findIndex((s) => (s.torrents ?? 0) > 0)
  t.ok(shard >= 0, 'the torrent lives on some shard')
  const mark = daemon.logs.length
  const crash = await fetch(`${daemon.base}/debug/crash-shard/${shard}`, { method: 'POST' })
  t.equal(crash.status, 202)
  await daemon.waitForLog(since(mark)((l) => l.message === 'shard thread died; rebuilding' && l.shard === shard))
  await daemon.waitForLog(since(mark)((l) => l.message === 'shard up' && l.shard === shard))
  const after = await health()
  t.equal(after.ready, true)
  t.equal(after.shards[shard]?.torrents, 1, 'the torrent was reloaded from the state folder')
  // Served again without asking for metadata: by id, which only a known torrent answers.
  const again = await fetch(`${daemon.base}/stream/${fast.infoHash}/0`, { headers: { Range: 'bytes=1000-199999' } })
  t.equal(again.status, 206)
  t.ok(Buffer.from(await again.arrayBuffer()).equals(smallBytes.subarray(1000, 200000)), 'same bytes after the rebuild')
})

t.test('a client that disconnects mid-stream releases its window; the daemon carries on', async (t) => {
  const ac = new AbortController()
  const res = await fetch(`${daemon.base}/stream?magnet=${encodeURIComponent(slow.magnet)}`, { signal: ac.signal })
  t.equal(res.status, 200)
  const reader = res.body!.getReader()
  const firstChunk = await reader.read()
  t.ok((firstChunk.value?.byteLength ?? 0) > 0, 'got bytes')
  const streams = async (): Promise<number> => (await health()).shards.reduce((n, s) => n + (s.streams ?? 0), 0)
  t.equal(await streams(), 1, 'one open stream window while reading')
  ac.abort()
  await waitFor(async () => await streams() === 0, { what: 'the window to be released', timeoutMs: 20_000 })
  t.pass('window released after the disconnect')
  const again = await fetch(`${daemon.base}/stream/${slow.infoHash}/0`, { headers: { Range: 'bytes=0-65535' } })
  t.equal(again.status, 206)
  t.ok(Buffer.from(await again.arrayBuffer()).equals(fs.readFileSync(slowFile).subarray(0, 65536)))
  t.equal((await health()).ready, true)
})
