/**
 * A whole benchmark session: tools in place, the swarm up, then `runs` rounds in which every
 * contender runs the same plan, then the report. The order of the contenders rotates from
 * round to round, so slow drift in the machine's load does not always fall on the same one.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Cleanup } from './cleanup.js'
import { ensurePackage } from './debian-packages.js'
import { describeMachine, describeVersions } from './machine.js'
import { startNginx } from './nginx.js'
import type { Nginx } from './nginx.js'
import type { BenchOptions } from './options.js'
import { PEERFLIX_VERSION, PeerflixContender, installPeerflix } from './peerflix.js'
import { renderReport } from './report.js'
import type { ContenderName, Results } from './results.js'
import { runSwarmContender, runWarmServer, seekPositions } from './run.js'
import type { RunPlan } from './run.js'
import type { SegmentedTool } from './segmented.js'
import { startSwarm } from './swarm.js'
import { TodContender } from './tod.js'

/** The repository root (this file runs from dist/bench). */
function repoRoot (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  return dir
}

/** Runs the benchmark; resolves the markdown report. Everything it starts is registered with `cleanup`. */
export async function runBench (opts: BenchOptions, cleanup: Cleanup, log: (line: string) => void): Promise<string> {
  const started = new Date()
  const machine = describeMachine()
  const work = cleanup.tempDir(fs.mkdtempSync(path.join(os.tmpdir(), 'tod-bench-')))
  // nginx's workers run as nobody and must get through this folder to the seeded file (mkdtemp makes 0700).
  fs.chmodSync(work, 0o755)
  // Segmented downloads land in tmpfs, so the client's disk writes are not what is measured.
  const scratch = cleanup.tempDir(fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), 'tod-bench-dl-')))
  const wants = (name: ContenderName): boolean => opts.only.includes(name)
  const dirIn = (name: string): string => {
    const dir = path.join(work, name)
    fs.mkdirSync(dir, { recursive: true })
    return dir
  }

  if (wants('nginx') && !await ensurePackage('nginx', log)) throw new Error('nginx is needed (apt-get install nginx failed); or leave it out with --only')
  const segmentedTool: SegmentedTool = await ensurePackage('aria2', log) ? 'aria2c' : 'curl-ranges'
  const peerflixApp = wants('peerflix') ? await installPeerflix(dirIn('peerflix-prefix'), log) : undefined

  const swarm = await startSwarm(path.join(work, 'swarm'), { bytes: opts.bytes, pieceLength: opts.pieceLength }, cleanup, log)
  const tod = new TodContender(swarm, { workers: opts.workers, shards: opts.shards, env: opts.todEnv }, cleanup)
  const peerflix = peerflixApp !== undefined ? new PeerflixContender(peerflixApp, swarm, dirIn('peerflix-runs'), cleanup) : undefined
  let nginx: Nginx | undefined
  if (wants('nginx')) nginx = await startNginx(swarm.file, dirIn('nginx'), cleanup)

  const results: Results = { 'tod-p2m': [], peerflix: [], nginx: [] }
  for (let r = 0; r < opts.runs; r++) {
    // Cold seeks skip the first 5% of the file: a seek is a jump away from where playback starts.
    const plan: RunPlan = {
      coldSeeks: seekPositions(opts.coldSeeks, swarm.size, Math.floor(swarm.size * 0.05)),
      warmSeeks: seekPositions(opts.warmSeeks, swarm.size),
      readers: opts.readers,
      segmentedTool,
      scratch
    }
    const ctx = { swarm, plan, log: (line: string) => { log(`[run ${r + 1}/${opts.runs}] ${line}`) } }
    const order = opts.only.map((_, i, all) => all[(i + r) % all.length]!)
    for (const name of order) {
      if (name === 'tod-p2m') results[name].push(await runSwarmContender(tod, ctx))
      if (name === 'peerflix' && peerflix !== undefined) results[name].push(await runSwarmContender(peerflix, ctx))
      if (name === 'nginx' && nginx !== undefined) results[name].push(await runWarmServer('nginx', nginx.url, ctx))
    }
  }

  const overrides = Object.entries(opts.todEnv).map(([k, v]) => `${k}=${v}`)
  const settings = overrides.length > 0 ? ` with ${overrides.join(' ')}` : ' with default settings'
  const segmented = segmentedTool === 'aria2c' ? 'aria2c -x8 -s8 -k1M' : '8 curl range requests'
  return renderReport(results, {
    date: started.toISOString().replace(/\.\d+Z$/, 'Z'),
    command: ['npm run bench', ...(opts.argv.length > 0 ? ['--', ...opts.argv] : [])].join(' '),
    machine,
    versions: `${describeVersions(repoRoot(), segmentedTool)}, peerflix ${PEERFLIX_VERSION} (torrent-stream)`,
    swarm: `qbittorrent-nox seeding ${swarm.media}, ${(swarm.size / 1e6).toFixed(1)} MB in ${Math.ceil(swarm.size / swarm.pieceLength)} pieces of ` +
      `${swarm.pieceLength / 1024} KiB; leechers find it by peer hint only (magnet x.pe, peerflix -e); DHT, LSD, PeX, UPnP, NAT-PMP and trackers off; 127.0.0.1 only`,
    method: `${opts.runs} runs; tod-p2m ${opts.workers} front-ends + ${opts.shards} shards${settings}, one daemon per run, a "fresh" torrent = DELETE then POST /torrents (time to metadata = the POST); ` +
      'peerflix: a new process on new temp folders per fresh torrent (time to metadata = spawn to its HTTP server listening, node start-up included). ' +
      'Cold sequential: node:http GET of the whole file right after metadata, SHA-256 checked; CPU = user+system of the server\'s process tree over that read. ' +
      'Warm: the same copy again, complete on disk and in page cache; nginx serves the seeded file. Throughput clients: curl into /dev/null. ' +
      `Seeks: 1 MiB ranges at random offsets on a new connection, compared with the source; cold = one fresh torrent per seek (${opts.coldSeeks} per run, in the last 95% of the file), ` +
      `warm = ${opts.warmSeeks} per run; seek figures pooled over runs. ${opts.readers} readers = ${opts.readers} curl processes reading the whole file at once. ` +
      'Peak RSS/PSS: /proc sampled every 100 ms (PSS every 500 ms) over every process of the server during the run. Per-run figures: median over runs.',
    readers: opts.readers,
    segmented,
    loadAtEnd: os.loadavg().map((x) => x.toFixed(2)).join(' ')
  })
}
