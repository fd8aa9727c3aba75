// HLS figures: time from the playlist request to the first segment (remux and transcode, cold
// and warm), time to serve a segment after a seek to 50%, and ffmpeg CPU seconds per second of
// media. Seeder: an in-process WebTorrent client on 127.0.0.1; each cold run uses a fresh daemon.
//   npm run build && node dist/bench/hls.js [--seconds 30] [--height 720]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { startDaemon } from '../test/helpers/daemon.js'
import type { Daemon } from '../test/helpers/daemon.js'
import { FFMPEG } from '../test/helpers/media.js'
import { startSeeder } from '../test/helpers/seeder.js'

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '30' }, height: { type: 'string', default: '720' } } })
const seconds = Number(values.seconds)
const height = Number(values.height)
const width = Math.round(height * 16 / 9 / 2) * 2
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-bench-hls-'))

function make (name: string, video: string[], audio: string[]): string {
  const out = path.join(work, name)
  const r = spawnSync(FFMPEG, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=24:duration=${seconds}`,
    '-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, ...video, '-g', '48', ...audio, out])
  if (r.status !== 0) throw new Error(`ffmpeg: ${r.stderr.toString()}`)
  return out
}

const remux = make('remux.mp4', ['-c:v', 'libx264', '-preset', 'veryfast', '-b:v', '2M', '-pix_fmt', 'yuv420p'], ['-c:a', 'aac', '-movflags', '+faststart'])
const transcode = make('transcode.mkv', ['-c:v', 'libx265', '-preset', 'ultrafast', '-b:v', '2M', '-x265-params', 'log-level=error'], ['-c:a', 'ac3', '-ac', '6'])
const seeder = await startSeeder([remux, transcode], { name: 'bench', pieceLength: 256 * 1024 })
const idOf = (file: string): number => seeder.files.findIndex((f) => f.name === path.basename(file))

const now = (): number => Number(process.hrtime.bigint()) / 1e6
async function get (url: string): Promise<string> {
  const res = await fetch(url)
  const body = Buffer.from(await res.arrayBuffer())
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.toString().slice(0, 200)}`)
  return body.toString('latin1')
}

/** ms from the master playlist request to the first video segment's last byte. */
async function firstSegment (daemon: Daemon, file: string): Promise<number> {
  const base = `${daemon.base}/hls/${seeder.infoHash}/${idOf(file)}`
  const t0 = now()
  await get(`${base}/playlist.m3u8`)
  await get(`${base}/v0/index.m3u8`)
  await Promise.all([get(`${base}/v0/0.ts`), get(`${base}/a0/0.ts`)])
  return now() - t0
}

/** CPU seconds of every child the daemon's processes have reaped (ffmpeg, ffprobe). */
function childCpu (daemon: Daemon): number {
  let ticks = 0
  const pids = [daemon.proc.pid ?? 0, ...fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number)]
  for (const pid of new Set(pids)) {
    try {
      const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      if (pid !== daemon.proc.pid && Number(f[1]) !== daemon.proc.pid) continue
      ticks += Number(f[13]) + Number(f[14])
    } catch { /* gone */ }
  }
  return ticks / 100
}

async function fresh (): Promise<Daemon> {
  const daemon = await startDaemon({ workers: 2, shards: 1, env: { TOD_P2M_MEDIA_IDLE_TIMEOUT: '1', TOD_P2M_MEDIA_AHEAD_SEGMENTS: '1000' } })
  const res = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ magnet: seeder.magnet }) })
  if (res.status !== 201) throw new Error(`add: ${res.status}`)
  return daemon
}

const results: Record<string, Record<string, number>> = {}
try {
  for (const [kind, file] of [['remux', remux], ['transcode', transcode]] as const) {
    const daemon = await fresh()
    try {
      const cold = await firstSegment(daemon, file)
      const base = `${daemon.base}/hls/${seeder.infoHash}/${idOf(file)}`
      const playlist = await get(`${base}/v0/index.m3u8`)
      const count = playlist.split('\n').filter((l) => l.startsWith('#EXTINF')).length
      const t0 = now()
      await Promise.all([get(`${base}/v0/${count >> 1}.ts`), get(`${base}/a0/${count >> 1}.ts`)])
      const seek = now() - t0
      // Wait until the idle sessions are gone, then the same again: data and probe are warm.
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      const warm = await firstSegment(daemon, file)
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      // Whole file, in order, from a fresh session: CPU per media second.
      const cpu0 = childCpu(daemon)
      const t1 = now()
      for (let n = 0; n < count; n++) await Promise.all([get(`${base}/v0/${n}.ts`), get(`${base}/a0/${n}.ts`)])
      const wall = (now() - t1) / 1000
      await new Promise((resolve) => setTimeout(resolve, 3_000))
      const cpu = childCpu(daemon) - cpu0
      results[kind] = { coldFirstSegmentMs: Math.round(cold), warmFirstSegmentMs: Math.round(warm), seekTo50pctMs: Math.round(seek), cpuSecPerMediaSec: Number((cpu / seconds).toFixed(3)), realtimeFactor: Number((seconds / wall).toFixed(1)), segments: count }
    } finally {
      await daemon.stop()
    }
  }
  console.log(JSON.stringify({ machine: { cpus: os.availableParallelism(), source: `${width}x${height} ${seconds}s` }, results }, null, 2))
} finally {
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
}
