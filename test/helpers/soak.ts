/**
 * A soak run against the real daemon: readers doing random range reads across torrents seeded
 * on loopback while torrents are added and deleted, with the daemon's memory, descriptors and
 * disk use sampled all along. bench/soak.ts runs it for half an hour; test/e2e/faults/soak.test.ts
 * for two minutes.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startDaemon } from './daemon.js'
import { makeRandomFile } from './media.js'
import { diskUsage, processTree, sampleProc } from './proc-tree.js'
import { startSeeder } from './seeder.js'
import type { Seeder } from './seeder.js'

/** What a soak run does. */
export interface SoakOptions {
  durationMs: number
  /** Memory is compared from the end of the warm-up on. */
  warmupMs: number
  clients: number
  torrents: number
  torrentBytes: number
  /** torrent.max_disk_usage. */
  quotaBytes: number
  sampleMs: number
  /** One torrent deleted and one added this often. */
  churnMs: number
  /** Each reader waits this long between reads (0: back to back). */
  pauseMs?: number
  /** Progress lines (one per sample) go here when given. */
  onSample?: (line: string) => void
}

/** One sample of one daemon process. */
export interface ProcPoint { at: number, rssBytes: number, fds: number }

/** What a soak run measured. */
export interface SoakResult {
  ms: number
  reads: number
  bytesRead: number
  /** Outcomes by kind; `expected` marks the ones the run provokes itself. */
  outcomes: Record<string, { count: number, expected: boolean, example?: string }>
  unexpected: number
  /** Per process ('supervisor', 'frontend <pid>'): samples after the warm-up. */
  procs: Record<string, ProcPoint[]>
  maxDiskBytes: number
  lastDiskBytes: number
  quotaBytes: number
  evictions: number
  frontendRestarts: number
}

const EXPECTED = new Set(['ok', '404 read of a deleted torrent', '404 read of an evicted torrent', '409 delete while streamed', '404 delete of an evicted torrent'])

/** Runs the soak and cleans everything up (daemon, seeders, folders), even when it throws. */
export async function runSoak (opts: SoakOptions): Promise<SoakResult> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-soak-'))
  const dir = path.join(work, 'data')
  const seeders: Seeder[] = []
  let daemon: Awaited<ReturnType<typeof startDaemon>> | undefined
  try {
    const sources: Buffer[] = []
    for (let i = 0; i < opts.torrents; i++) {
      const file = await makeRandomFile(work, `t${i}.bin`, opts.torrentBytes)
      sources.push(fs.readFileSync(file))
      seeders.push(await startSeeder(file, { pieceLength: 64 * 1024 }))
    }
    daemon = await startDaemon({
      dir,
      workers: 2,
      shards: 2,
      env: {
        TOD_P2M_TORRENT_STATE_DIR: path.join(work, 'state'),
        TOD_P2M_TORRENT_MAX_DISK_USAGE: String(opts.quotaBytes),
        TOD_P2M_TORRENT_CLEANUP_INTERVAL: '2',
        TOD_P2M_TORRENT_READ_TIMEOUT_MS: '20000'
      }
    })
    return await drive(daemon, seeders, sources, dir, opts)
  } finally {
    await daemon?.stop()
    for (const s of seeders) await s.stop()
    fs.rmSync(work, { recursive: true, force: true })
  }
}

async function drive (daemon: Awaited<ReturnType<typeof startDaemon>>, seeders: Seeder[], sources: Buffer[], dir: string, opts: SoakOptions): Promise<SoakResult> {
  const started = Date.now()
  const end = started + opts.durationMs
  const result: SoakResult = { ms: 0, reads: 0, bytesRead: 0, outcomes: {}, unexpected: 0, procs: {}, maxDiskBytes: 0, lastDiskBytes: 0, quotaBytes: opts.quotaBytes, evictions: 0, frontendRestarts: 0 }
  const count = (kind: string, example?: string): void => {
    const o = result.outcomes[kind] ??= { count: 0, expected: EXPECTED.has(kind) }
    o.count++
    if (example !== undefined) o.example ??= example.slice(0, 200)
    if (!o.expected) result.unexpected++
  }
  // Which torrents the run believes are on the daemon; three quarters to start with.
  const added = new Set<number>()
  const deletedAt = new Map<number, number>()
  const addedAt = new Map<number, number>()
  // A 404 for a torrent the run did not delete is only expected if the reaper evicted it (its
  // 'torrent evicted' log line) after it was last added; checked at the end, when every log
  // line of the run has been read.
  const evictedAt = new Map<string, number[]>()
  const unexplained: Array<{ kind: string, i: number, since: number, at: number }> = []
  const add = async (i: number): Promise<void> => {
    const res = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ magnet: seeders[i]!.magnet }), signal: AbortSignal.timeout(30_000) })
    await res.arrayBuffer()
    if (res.status === 200 || res.status === 201) { added.add(i); addedAt.set(i, Date.now()) } else count(`add answered ${res.status}`)
  }
  for (let i = 0; i < Math.ceil(opts.torrents * 3 / 4); i++) await add(i)

  const reader = async (): Promise<void> => {
    while (Date.now() < end) {
      const pool = [...added]
      if (pool.length === 0) { await new Promise((resolve) => setTimeout(resolve, 100)); continue }
      const i = pool[Math.floor(Math.random() * pool.length)]!
      const size = sources[i]!.length
      const len = 64 * 1024 + Math.floor(Math.random() * 960 * 1024)
      const start = Math.floor(Math.random() * (size - len))
      const askedAt = Date.now()
      result.reads++
      try {
        const res = await fetch(`${daemon.base}/stream/${seeders[i]!.infoHash}/0`, { headers: { Range: `bytes=${start}-${start + len - 1}` }, signal: AbortSignal.timeout(30_000) })
        const body = Buffer.from(await res.arrayBuffer())
        if (res.status === 206) {
          result.bytesRead += body.length
          count(body.equals(sources[i]!.subarray(start, start + len)) ? 'ok' : 'bytes differ from the source')
        } else if (res.status === 404 && body.toString().includes('TOD_ERR_UNKNOWN_TORRENT')) {
          if ((deletedAt.get(i) ?? 0) >= askedAt - 1000 || !added.has(i)) count('404 read of a deleted torrent')
          else { unexplained.push({ kind: '404 read of an evicted torrent', i, since: addedAt.get(i) ?? 0, at: Date.now() }); added.delete(i) }
        } else {
          count(`${res.status} on a read`, body.toString())
        }
      } catch (err) {
        count(`read failed: ${(err as Error).name}`, String((err as Error).cause ?? err))
      }
      if ((opts.pauseMs ?? 0) > 0) await new Promise((resolve) => setTimeout(resolve, opts.pauseMs))
    }
  }

  const churn = async (): Promise<void> => {
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, opts.churnMs))
      const victims = [...added]
      const v = victims[Math.floor(Math.random() * victims.length)]
      if (v !== undefined) {
        added.delete(v)
        deletedAt.set(v, Date.now())
        const res = await fetch(`${daemon.base}/torrent/${seeders[v]!.infoHash}`, { method: 'DELETE', signal: AbortSignal.timeout(30_000) })
        await res.arrayBuffer()
        if (res.status === 409) { count('409 delete while streamed'); added.add(v) } else if (res.status === 404) unexplained.push({ kind: '404 delete of an evicted torrent', i: v, since: addedAt.get(v) ?? 0, at: Date.now() })
        else if (res.status !== 204) count(`delete answered ${res.status}`)
      }
      const absent = seeders.map((_, i) => i).filter((i) => !added.has(i))
      const a = absent[Math.floor(Math.random() * absent.length)]
      if (a !== undefined) await add(a).catch((err: unknown) => { count('add failed', String(err)) })
    }
  }

  const readEvictions = (): void => {
    for (const l of daemon.logs) {
      if (l.message !== 'torrent evicted') continue
      result.evictions++
      const times = evictedAt.get(String(l.infoHash)) ?? []
      times.push(Date.parse(String(l.timestamp)))
      evictedAt.set(String(l.infoHash), times)
    }
    daemon.logs.splice(0) // the run's own memory must not grow with the daemon's log
  }

  const frontends = new Set<number>()
  const sampler = async (): Promise<void> => {
    while (Date.now() < end) {
      const at = Date.now() - started
      const pids = processTree(daemon.proc.pid!)
      const parts: string[] = []
      for (const [k, pid] of pids.entries()) {
        const s = sampleProc(pid)
        if (s === undefined) continue
        const name = k === 0 ? 'supervisor' : `frontend ${pid}`
        if (k > 0 && !frontends.has(pid)) { if (frontends.size >= pids.length - 1 && at > 0) result.frontendRestarts++; frontends.add(pid) }
        if (at >= opts.warmupMs) (result.procs[name] ??= []).push({ at, rssBytes: s.rssBytes, fds: s.fds })
        parts.push(`${name} ${(s.rssBytes / 1048576).toFixed(0)} MB ${s.fds} fd`)
      }
      const disk = diskUsage(dir)
      result.maxDiskBytes = Math.max(result.maxDiskBytes, disk)
      result.lastDiskBytes = disk
      readEvictions()
      opts.onSample?.(`${(at / 1000).toFixed(0)} s: ${parts.join(', ')}; disk ${(disk / 1048576).toFixed(1)} MB; reads ${result.reads}, unexpected ${result.unexpected}`)
      await new Promise((resolve) => setTimeout(resolve, Math.min(opts.sampleMs, Math.max(0, end - Date.now()))))
    }
  }

  await Promise.all([sampler(), churn(), ...Array.from({ length: opts.clients }, reader)])
  await new Promise((resolve) => setTimeout(resolve, 200)) // the last log lines
  readEvictions()
  for (const u of unexplained) {
    const evicted = (evictedAt.get(seeders[u.i]!.infoHash) ?? []).some((e) => e >= u.since - 1000 && e <= u.at + 1000)
    count(evicted ? u.kind : `${u.kind.slice(0, 3)} for a torrent neither deleted nor evicted`, seeders[u.i]!.infoHash)
  }
  result.ms = Date.now() - started
  return result
}

/** Growth of RSS and fds of each process between its first and last sample after the warm-up. */
export function growth (points: ProcPoint[]): { rssFirst: number, rssLast: number, rssGrowth: number, fdsFirst: number, fdsLast: number, fdsMax: number } {
  const first = points[0] ?? { rssBytes: 0, fds: 0 }
  const last = points[points.length - 1] ?? first
  // Median of the first and last few samples: one GC or one burst of reads does not decide it.
  const med = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1] ?? 0 }
  const head = med(points.slice(0, 3).map((p) => p.rssBytes))
  const tail = med(points.slice(-3).map((p) => p.rssBytes))
  return { rssFirst: head, rssLast: tail, rssGrowth: head > 0 ? (tail - head) / head : 0, fdsFirst: first.fds, fdsLast: last.fds, fdsMax: Math.max(...points.map((p) => p.fds)) }
}

/** The end-of-run summary, as printed by bench/soak.ts and commented by the CI test. */
export function summarize (r: SoakResult): string {
  const mb = (b: number): string => `${(b / 1048576).toFixed(1)} MB`
  const lines = [`${(r.ms / 60000).toFixed(1)} min, ${r.reads} reads, ${mb(r.bytesRead)} read, ${r.evictions} evictions by the reaper, ${r.frontendRestarts} front-end restarts`]
  for (const [name, points] of Object.entries(r.procs)) {
    const g = growth(points)
    lines.push(`${name}: RSS ${mb(g.rssFirst)} after warm-up → ${mb(g.rssLast)} at the end (${(g.rssGrowth * 100).toFixed(1)}%), fds ${g.fdsFirst} → ${g.fdsLast} (max ${g.fdsMax})`)
  }
  lines.push(`disk: max ${mb(r.maxDiskBytes)}, at the end ${mb(r.lastDiskBytes)}, quota ${mb(r.quotaBytes)}`)
  for (const [kind, o] of Object.entries(r.outcomes).sort((a, b) => b[1].count - a[1].count)) {
    lines.push(`${o.expected ? 'expected  ' : 'UNEXPECTED'} ${String(o.count).padStart(7)} ${kind}${o.example !== undefined ? ` (e.g. ${o.example})` : ''}`)
  }
  return lines.join('\n')
}
