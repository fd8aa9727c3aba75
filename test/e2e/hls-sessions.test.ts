// End to end: the limits around ffmpeg. Sessions are capped daemon-wide (503 + Retry-After),
// ffmpeg is paused when far ahead of the player and never outlives the daemon, leftovers are
// swept at start, a crashing ffmpeg is restarted once and then answered 502, and a missing
// ffmpeg is a 503 that says how to install it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import { makeVideo } from '../helpers/media.js'
import { startSeeder } from '../helpers/seeder.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-hls-sessions-'))
// VP8 + Opus: encoded, so ffmpeg runs long enough to be seen paused.
const long = await makeVideo(path.join(work, 'media'), { name: 'long.webm', format: 'webm', seconds: 40, width: 320, height: 180, videoBitrate: 300_000 })
const short = await makeVideo(path.join(work, 'media'), { name: 'short.mkv', format: 'mkv', seconds: 10, width: 320, height: 180, videoBitrate: 300_000 })
const seeder = await startSeeder([long, short], { name: 'clips', pieceLength: 64 * 1024 })
t.teardown(async () => {
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const idOf = (file: string): number => seeder.files.findIndex((f) => f.name === path.basename(file))

async function daemonWith (env: Record<string, string>, token?: string): Promise<Awaited<ReturnType<typeof startDaemon>>> {
  const daemon = await startDaemon({ workers: 2, shards: 1, env })
  const auth: Record<string, string> = token !== undefined ? { authorization: `Bearer ${token}` } : {}
  const added = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify({ magnet: seeder.magnet }) })
  if (added.status !== 201) throw new Error(`add: ${added.status}`)
  return daemon
}

/** Live processes whose command line mentions `needle`, with their state (T = stopped) and parent. */
function processesWith (needle: string): Array<{ pid: number, state: string, ppid: number }> {
  const out = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      if (!fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) continue
      const fields = fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
      const state = fields[0] ?? '?'
      if (state !== 'Z') out.push({ pid: Number(name), state, ppid: Number(fields[1]) })
    } catch { /* gone */ }
  }
  return out
}

t.test('sessions are limited daemon-wide: 503 with Retry-After', async (t) => {
  const daemon = await daemonWith({ TOD_P2M_MEDIA_MAX_SESSIONS: '1' })
  t.teardown(async () => { await daemon.stop() })
  const hls = (file: string, rest: string): string => `${daemon.base}/hls/${seeder.infoHash}/${idOf(file)}/${rest}`
  t.equal((await fetch(hls(long, 'v0/0.ts'))).status, 200, 'the first file gets the one session')
  // Several tries, so some land on the other front-end too: the slot is shared.
  for (let i = 0; i < 4; i++) {
    const busy = await fetch(hls(short, 'v0/0.ts'))
    t.equal(busy.status, 503)
    t.equal(busy.headers.get('retry-after'), '10')
    t.match(await busy.json(), { error: { code: 'TOD_ERR_MEDIA_BUSY' } })
  }
})

t.test('ffmpeg is paused far ahead of the player, never outlives the daemon, leftovers are swept', async (t) => {
  const cacheDir = path.join(work, 'cache-kill')
  const env = { TOD_P2M_MEDIA_CACHE_DIR: cacheDir, TOD_P2M_MEDIA_SEGMENT_DURATION: '2', TOD_P2M_MEDIA_AHEAD_SEGMENTS: '2' }
  const daemon = await daemonWith(env)
  t.teardown(async () => { await daemon.stop() })
  const hls = (rest: string): string => `${daemon.base}/hls/${seeder.infoHash}/${idOf(long)}/${rest}`
  t.equal((await fetch(hls('v0/0.ts'))).status, 200)
  const paused = await waitFor(() => {
    const ps = processesWith(cacheDir)
    return ps.length === 1 && ps[0]?.state === 'T' ? ps : undefined
  }, { timeoutMs: 20_000, what: 'ffmpeg paused' })
  t.equal(paused.length, 1, 'one ffmpeg, stopped (SIGSTOP) ahead of the player')
  const made = fs.readdirSync(cacheDir, { recursive: true }).filter((n) => String(n).endsWith('.ts')).length
  t.ok(made < 10, `only a few of the 20 segments made ahead (${made})`)
  t.equal((await fetch(hls('v0/6.ts'))).status, 200, 'a jump ahead is served')
  // A front-end that owns an ffmpeg dies without running any exit code: its watchdog kills the
  // ffmpeg. (Only one: with every front-end gone at once the listening socket would close.)
  const owner = processesWith(cacheDir)[0]?.ppid ?? 0
  t.ok(owner > 0 && owner !== daemon.proc.pid, 'ffmpeg belongs to a front-end')
  const owned = processesWith(cacheDir).filter((p) => p.ppid === owner).map((p) => p.pid)
  process.kill(owner, 'SIGKILL')
  await waitFor(() => processesWith(cacheDir).some((p) => owned.includes(p.pid)) ? undefined : true, { timeoutMs: 15_000, what: 'ffmpeg gone after its front-end was killed' })
  t.pass('no ffmpeg left after SIGKILL of its front-end')
  await waitFor(async () => (await fetch(hls('v0/1.ts')).catch(() => null))?.status === 200 ? true : undefined, { timeoutMs: 20_000, what: 'served again' })
  daemon.proc.kill('SIGKILL')
  await waitFor(() => processesWith(cacheDir).length === 0 ? true : undefined, { timeoutMs: 15_000, what: 'ffmpeg gone after the daemon was killed' })
  t.pass('no ffmpeg left after SIGKILL of the daemon')
  t.ok(fs.readdirSync(cacheDir).some((n) => /^\d+-/.test(n)), 'the dead session\'s folder is still there')
  const next = await daemonWith(env)
  t.teardown(async () => { await next.stop() })
  await waitFor(() => fs.readdirSync(cacheDir).some((n) => /^\d+-/.test(n)) ? undefined : true, { timeoutMs: 10_000, what: 'leftovers swept' })
  t.pass('a new daemon sweeps the folders of dead sessions')
})

t.test('ffmpeg that keeps dying: restarted once, then 502', async (t) => {
  const fake = path.join(work, 'dying-ffmpeg')
  fs.writeFileSync(fake, '#!/bin/sh\necho "boom" >&2\nexit 1\n', { mode: 0o755 })
  const daemon = await daemonWith({ TOD_P2M_MEDIA_FFMPEG_PATH: fake, TOD_P2M_SERVER_WORKERS: '1' })
  t.teardown(async () => { await daemon.stop() })
  const res = await fetch(`${daemon.base}/hls/${seeder.infoHash}/${idOf(short)}/v0/0.ts`)
  t.equal(res.status, 502)
  t.match(await res.json(), { error: { code: 'TOD_ERR_MEDIA_FAILED', message: /ffmpeg exited with 1: boom/ } })
  const metrics = await (await fetch(`${daemon.base}/metrics`)).text()
  t.match(metrics, /tod_p2m_media_ffmpeg_starts_total\{kind="restart",node="[^"]*"\} 1/)
})

t.test('no ffmpeg installed: 503 that says how to install it', async (t) => {
  const daemon = await daemonWith({ TOD_P2M_MEDIA_FFPROBE_PATH: '/nonexistent/ffprobe', TOD_P2M_MEDIA_FFMPEG_PATH: '/nonexistent/ffmpeg' })
  t.teardown(async () => { await daemon.stop() })
  const res = await fetch(`${daemon.base}/hls/${seeder.infoHash}/${idOf(short)}/playlist.m3u8`)
  t.equal(res.status, 503)
  t.match(await res.json(), { error: { code: 'TOD_ERR_NO_FFMPEG', message: /apt-get install ffmpeg/ } })
  const vtt = await fetch(`${daemon.base}/subtitles/${seeder.infoHash}/${idOf(short)}.vtt`)
  t.equal(vtt.status, 503)
})

t.test('with tokens: a master playlist fetched with the token hands out signed child URLs that work without it', async (t) => {
  const daemon = await daemonWith({ TOD_P2M_SECURITY_API_TOKENS: 'sekrit-token' }, 'sekrit-token')
  t.teardown(async () => { await daemon.stop() })
  const base = `/hls/${seeder.infoHash}/${idOf(short)}/`
  t.equal((await fetch(`${daemon.base}${base}playlist.m3u8`)).status, 401, 'no token, no playlist')
  const master = await (await fetch(`${daemon.base}${base}playlist.m3u8`, { headers: { authorization: 'Bearer sekrit-token' } })).text()
  const variant = master.split('\n').find((l) => l.startsWith('v0/'))
  t.match(variant, /^v0\/index\.m3u8\?exp=\d+&sig=/)
  const media = await fetch(`${daemon.base}${base}${variant ?? ''}`)
  t.equal(media.status, 200, 'the signed media playlist needs no token')
  const segment = (await media.text()).split('\n').find((l) => l.startsWith('0.ts'))
  t.match(segment, /^0\.ts\?exp=\d+&sig=/)
  const res = await fetch(`${daemon.base}${base}v0/${segment ?? ''}`)
  t.equal(res.status, 200, 'the signed segment is made (ffmpeg read the file through a signed URL too)')
  t.ok((await res.arrayBuffer()).byteLength > 1000)
  t.equal((await fetch(`${daemon.base}${base}v0/0.ts`)).status, 401, 'an unsigned segment is refused')
})
