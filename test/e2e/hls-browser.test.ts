// Acceptance: Debian's Chromium plays what the daemon makes, through hls.js, from the start
// and after a seek to 50%, and shows a subtitle cue at its time. AC-3 in Matroska and HEVC:
// neither plays in Chromium as it is.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { createRequire } from 'node:module'
import puppeteer from 'puppeteer-core'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { CUE, makeHlsFixtures } from '../helpers/hls-media.js'
import { startSeeder } from '../helpers/seeder.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const hlsJs = fs.readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'), 'utf8')

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-hls-browser-'))
const fx = await makeHlsFixtures(path.join(work, 'media'))
const seeder = await startSeeder([fx.mkv, fx.sidecar, fx.hevc], { name: 'movies', pieceLength: 64 * 1024 })
const daemon = await startDaemon({ workers: 2, shards: 1 })
const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] })
t.teardown(async () => {
  await browser.close()
  await daemon.stop()
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})
const added = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ magnet: seeder.magnet }) })
t.equal(added.status, 201)
const idOf = (file: string): number => seeder.files.findIndex((f) => f.name === path.basename(file))

interface PlayerState { time: number, error: string | null, cues: string[], tracks: number }
/** The part of hls.js the page uses (it runs in the page, from the injected script). */
interface HlsLike {
  on: (event: string, listener: (...args: never[]) => void) => void
  loadSource: (src: string) => void
  attachMedia: (video: HTMLVideoElement) => void
  subtitleTrack: number
  subtitleDisplay: boolean
}
interface PageGlobals { Hls: { new (config: object): HlsLike, Events: Record<string, string> }, player: { hls: HlsLike, video: HTMLVideoElement }, state: PlayerState }

for (const file of [fx.mkv, fx.hevc]) {
  t.test(`${path.basename(file)} plays through hls.js from the start and after a seek`, async (t) => {
    const page = await browser.newPage()
    t.teardown(async () => { await page.close() })
    // Same origin as the playlists, so no CORS is needed.
    await page.goto(`${daemon.base}/health`)
    await page.addScriptTag({ content: hlsJs })
    const master = `/hls/${seeder.infoHash}/${idOf(file)}/playlist.m3u8`
    await page.evaluate((src: string) => {
      const w = window as unknown as PageGlobals
      const video = document.createElement('video')
      video.muted = true
      document.body.append(video)
      w.state = { time: 0, error: null, cues: [], tracks: 0 }
      const hls = new w.Hls({ renderTextTracksNatively: true })
      w.player = { hls, video }
      hls.on(w.Hls.Events.ERROR, (_e: unknown, data: { fatal: boolean, details: string }) => { if (data.fatal) w.state.error = data.details })
      hls.loadSource(src)
      hls.attachMedia(video)
      hls.on(w.Hls.Events.MANIFEST_PARSED, () => { void video.play() })
    }, master)
    const state = async (): Promise<PlayerState> => await page.evaluate(() => {
      const w = window as unknown as PageGlobals
      const v = w.player.video
      const cues: string[] = []
      for (const track of Array.from(v.textTracks)) {
        for (const cue of Array.from(track.activeCues ?? [])) cues.push((cue as VTTCue).text)
      }
      return { time: v.currentTime, error: w.state.error, cues, tracks: v.textTracks.length }
    })
    const until = async (what: string, pred: (s: PlayerState) => boolean, ms = 60_000): Promise<PlayerState> => {
      const end = Date.now() + ms
      for (;;) {
        const s = await state()
        if (s.error !== null) throw new Error(`hls.js error while waiting for ${what}: ${s.error}`)
        if (pred(s)) return s
        if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms (${JSON.stringify(s)})`)
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
    }
    t.ok((await until('playback from the start', (s) => s.time > 1)).time > 1, 'currentTime advances from the start')
    if (file === fx.mkv) {
      await page.evaluate(() => {
        const w = window as unknown as PageGlobals
        w.player.hls.subtitleTrack = 0
        w.player.hls.subtitleDisplay = true
      })
      const s = await until('a subtitle cue', (s) => s.time >= CUE.start + 0.3 && s.cues.length > 0, 30_000)
      t.ok(s.time < CUE.end + 0.5, `cue active at ${s.time.toFixed(2)} s`)
      t.ok(s.cues.includes(CUE.text), 'the cue text')
    }
    await page.evaluate(() => {
      const w = window as unknown as PageGlobals
      w.player.video.currentTime = w.player.video.duration / 2
    })
    const after = await until('playback after the seek to 50%', (s) => s.time > 11)
    t.ok(after.time > 11, `currentTime advances after the seek (${after.time.toFixed(2)} s)`)
  })
}
