// A/B of streaming.sendfile: 20 concurrent readers of one warm file, tod-p2m with sendfile(2)
// against tod-p2m copying (TOD_P2M_STREAMING_SENDFILE=false), and nginx (sendfile on) as the
// yardstick. The file is seeded once from an in-process WebTorrent seeder and kept in one data
// folder, so every daemon start finds it complete (no swarm traffic while measuring). Runs are
// interleaved (on, off, nginx, on, off, nginx ...). About a minute on 2 cores with the defaults.
//   npm run bench:sendfile [-- --runs 3 --readers 20 --size-mb 250]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startDaemon } from '../test/helpers/daemon.js'
import { makeRandomFile } from '../test/helpers/media.js'
import { startSeeder } from '../test/helpers/seeder.js'
import { Cleanup } from './cleanup.js'
import { curlGet } from './curl.js'
import { readers } from './measure.js'
import { startNginx } from './nginx.js'
import { treeCpuSeconds } from './proc-stats.js'
import { median } from './stats.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, readers: { type: 'string', default: '20' }, 'size-mb': { type: 'string', default: '250' } } })
const runs = Number(values.runs)
const n = Number(values.readers)
const size = Number(values['size-mb']) * 1_000_000
const log = (line: string): void => { process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`) }

interface Sample { mbps: number, cpuSPerGb: number }
const samples: Record<string, Sample[]> = { 'tod-p2m sendfile': [], 'tod-p2m copy': [], nginx: [] }

const cleanup = new Cleanup()
cleanup.handleSignals()
try {
  const work = cleanup.tempDir(fs.mkdtempSync(path.join(os.tmpdir(), 'tod-sendfile-ab-')))
  const file = await makeRandomFile(path.join(work, 'src'), 'media.bin', size)
  // nginx's workers run as www-data: the folders on the way to the file must be readable.
  fs.chmodSync(work, 0o755)
  fs.chmodSync(path.dirname(file), 0o755)
  const seeder = await startSeeder([file], { pieceLength: 512 * 1024 })
  cleanup.defer('stop the seeder', async () => { await seeder.stop() })
  const dir = path.join(work, 'data')
  fs.mkdirSync(dir)

  log('seeding the daemon\'s data folder (one cold read)')
  const first = await startDaemon({ workers: 2, shards: 2, dir })
  const added = await fetch(`${first.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ magnet: seeder.magnet }) })
  if (added.status !== 201) throw new Error(`POST /torrents: HTTP ${added.status}`)
  await curlGet(`${first.base}/stream/${seeder.infoHash}/0`)
  await first.stop()
  await seeder.stop()

  const nginx = await startNginx(file, cleanup.tempDir(fs.mkdtempSync(path.join(work, 'nginx-'))), cleanup)
  for (let run = 1; run <= runs; run++) {
    for (const sendfile of [true, false]) {
      const name = sendfile ? 'tod-p2m sendfile' : 'tod-p2m copy'
      const daemon = await startDaemon({ workers: 2, shards: 2, dir, env: { TOD_P2M_STREAMING_SENDFILE: String(sendfile) } })
      const stop = cleanup.defer('stop tod-p2m', async () => { await daemon.stop() })
      const url = `${daemon.base}/stream/${seeder.infoHash}/0`
      await curlGet(url) // warm: page cache, front-end file cache
      samples[name]!.push(await measure(url, daemon.proc.pid!))
      await stop()
      log(`run ${run} ${name}: ${samples[name]!.at(-1)!.mbps.toFixed(0)} MB/s`)
    }
    await curlGet(nginx.url)
    samples.nginx!.push(await measure(nginx.url, nginx.pid))
    log(`run ${run} nginx: ${samples.nginx!.at(-1)!.mbps.toFixed(0)} MB/s`)
  }

  const nginxMedian = median(samples.nginx!.map((s) => s.mbps))
  process.stdout.write(`${n} readers of a warm ${size / 1e6} MB file, ${runs} runs each (aggregate MB/s; server CPU-s per GB sent):\n`)
  for (const [name, xs] of Object.entries(samples)) {
    const mbps = median(xs.map((s) => s.mbps))
    process.stdout.write(`  ${name.padEnd(17)} median ${mbps.toFixed(0).padStart(5)} MB/s (${xs.map((s) => s.mbps.toFixed(0)).join(' / ')}), ${(mbps / nginxMedian).toFixed(2)}x nginx, ${median(xs.map((s) => s.cpuSPerGb)).toFixed(2)} CPU-s/GB\n`)
  }
} finally {
  await cleanup.runAll()
}

/** n readers at once; MB/s and the server's CPU seconds per GB sent. */
async function measure (url: string, pid: number): Promise<Sample> {
  const cpu0 = treeCpuSeconds(pid)
  const mbps = await readers(url, n, size)
  return { mbps, cpuSPerGb: (treeCpuSeconds(pid) - cpu0) / (n * size / 1e9) }
}
