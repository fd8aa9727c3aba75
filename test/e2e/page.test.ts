// Issue 16: the web page at GET /, in Debian's Chromium. Adds torrents seeded on loopback by
// magnet and by .torrent upload, plays an MP4 directly and an MKV (H.264 + AC-3) through HLS,
// seeks, picks a subtitle, deletes; with a token too. The page must ask for nothing outside the
// daemon's origin and log no console error. Prints the time from pasting a magnet to the first
// frame. With TOD_SCREENSHOTS=<folder>, saves the screenshots the README shows.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import puppeteer from 'puppeteer-core'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { CUE, makeHlsFixtures } from '../helpers/hls-media.js'
import { makeVideo } from '../helpers/media.js'
import { untilPlayer, watchedPage } from '../helpers/page-browser.js'
import type { WatchedPage } from '../helpers/page-browser.js'
import { freePort } from '../helpers/net.js'
import { startSeeder } from '../helpers/seeder.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SHOTS = process.env.TOD_SCREENSHOTS
const TOKEN = 'page-test-token'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-page-'))
const fx = await makeHlsFixtures(path.join(work, 'media'), 12)
// About 2.8 MB sent at 1 MB/s: the progress has time to move while the film plays.
const filmFile = await makeVideo(path.join(work, 'media'), { name: 'film.mp4', seconds: 20 })
// 600 kB/s: the 2.8 MB file takes ~5 s, so the library's 1.5 s polls see it move.
const film = await startSeeder(filmFile, { uploadLimit: 600_000 })
const movies = await startSeeder([fx.mkv, fx.sidecar], { name: 'movies', pieceLength: 64 * 1024 })
const moviesTorrent = path.join(work, 'movies.torrent')
fs.writeFileSync(moviesTorrent, movies.torrentFile)
const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required', '--mute-audio'] })
t.teardown(async () => {
  await browser.close()
  await film.stop()
  await movies.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

/** Pastes a magnet and measures until the first frame plays. */
async function pasteAndPlay (w: WatchedPage, magnet: string): Promise<number> {
  await w.page.click('#magnet')
  await w.page.evaluate((m: string) => { (document.getElementById('magnet') as HTMLInputElement).value = m }, magnet)
  const start = Date.now()
  await w.page.click('#add-form button[type=submit]')
  await untilPlayer(w.page, 'the first frame', (s) => s.time > 0 && !s.paused, 30_000)
  return Date.now() - start
}

/** `expected`: console errors the test caused on purpose (Chromium logs every 401 answer). */
function checkClean (t: Tap.Test, w: WatchedPage, expected: RegExp[] = []): void {
  t.same(w.foreign, [], 'no request outside the daemon')
  t.same(w.errors.filter((e) => !expected.some((re) => re.test(e))), [], 'no console error')
}

t.test('the page: add, play directly and through HLS, seek, subtitles, delete', async (t) => {
  // A .torrent names no peer: the seeder connects to the daemon's BitTorrent port instead.
  const peerPort = await freePort()
  const daemon = await startDaemon({ workers: 1, shards: 1, env: { TOD_P2M_TORRENT_PORT: String(peerPort) } })
  t.teardown(async () => { await daemon.stop() })
  const w = await watchedPage(browser, daemon.base)
  t.teardown(async () => { await w.page.close() })
  await w.page.setViewport({ width: 1280, height: 800 })

  const index = await w.page.goto(`${daemon.base}/`)
  t.equal(index?.status(), 200)
  const headers = index?.headers() ?? {}
  t.equal(headers['cache-control'], 'no-cache')
  t.match(headers['content-security-policy'], /default-src 'self'/)
  // The keyboard reaches the form first: one Tab from the top lands on the magnet field.
  await w.page.keyboard.press('Tab')
  t.equal(await w.page.evaluate(() => document.activeElement?.id), 'magnet', 'Tab goes to the magnet field first')
  const assets = await (await fetch(`${daemon.base}/`)).text()
  const appJs = /\/assets\/[0-9a-f]{16}\/app\.js/.exec(assets)?.[0]
  t.ok(appJs, 'index.html names a versioned app.js')
  const asset = await fetch(`${daemon.base}${appJs ?? ''}`)
  t.equal(asset.status, 200)
  t.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable')
  t.equal((await fetch(`${daemon.base}/assets/0000000000000000/app.js`)).status, 404, 'another version is not served')

  const firstFrame = await pasteAndPlay(w, film.magnet)
  t.comment(`magnet pasted -> first frame playing: ${firstFrame} ms`)
  console.log(`# first frame after pasting a magnet: ${firstFrame} ms`)
  t.ok(firstFrame < 15_000, `first frame in ${firstFrame} ms`)
  const direct = await untilPlayer(w.page, 'direct stream', (s) => s.src.includes(`/stream/${film.infoHash}/`))
  t.ok(direct.src.includes('/stream/'), 'the MP4 plays from its stream URL')

  // Progress moves in the library (a value below 100%, then 100%); the piece map shows verified pieces.
  const seen = new Set<number>()
  const progressOf = async (): Promise<number> => await w.page.$eval(`#t-${film.infoHash} progress`, (e) => (e as HTMLProgressElement).value).catch(() => 0)
  const progressEnd = Date.now() + 30_000
  const waits = new Set<string>()
  let windows = 0
  for (let p = await progressOf(); p < 1; p = await progressOf()) {
    if (p > 0) seen.add(p)
    const shown = await w.page.evaluate(() => ({ wait: document.getElementById('wait')?.textContent ?? '', window: document.getElementById('piece-map')?.dataset.window ?? '' }))
    waits.add(shown.wait)
    if (shown.window !== '') windows++
    if (Date.now() > progressEnd) throw new Error(`progress stuck at ${p}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok([...waits].some((x) => /(Buffering: |Playing, )\d+ s .* at .*B\/s/.test(x)), `says what it waits for: ${[...waits].join(' | ')}`)
  t.ok(windows > 0, 'the piece map showed the priority window')
  t.ok(seen.size >= 1, `progress moved: ${[...seen].map((p) => Math.round(p * 100)).join('% ')}% then 100%`)
  await w.page.waitForFunction(() => Number((document.getElementById('piece-map') as HTMLCanvasElement).dataset.verified) > 0, { timeout: 15_000 })
  const map = await (await fetch(`${daemon.base}/torrent/${film.infoHash}/pieces/0`)).json() as { pieceLength: number, first: number, count: number, verified: string, window: unknown }
  t.equal(map.first, 0)
  t.equal(map.count, Math.ceil(film.length / film.pieceLength), 'the piece map covers the file')
  t.equal(Buffer.from(map.verified, 'base64').length, Math.ceil(map.count / 8))
  const facts = await w.page.$eval(`#t-${film.infoHash} .facts`, (e) => e.textContent ?? '')
  t.match(facts, /peers/, `library shows peers and speeds: ${facts}`)

  await w.page.evaluate(() => { (document.getElementById('video') as HTMLVideoElement).currentTime = 8 })
  await untilPlayer(w.page, 'playing after a seek to 8 s', (s) => s.time > 8.2 && !s.paused)
  await w.page.waitForFunction((key: string) => Number(localStorage.getItem(key)) >= 8, { timeout: 10_000 }, `tod-p2m-pos:${film.infoHash}:0`)
  t.pass('the position is remembered per file')

  // The MKV by .torrent upload: AC-3 does not play in Chromium, so HLS.
  const input = await w.page.$('#torrent-file')
  if (input === null) throw new Error('no file input')
  await input.uploadFile(moviesTorrent)
  await w.page.waitForSelector(`#t-${movies.infoHash}`, { timeout: 15_000 })
  movies.torrent.addPeer(`127.0.0.1:${peerPort}`)
  await untilPlayer(w.page, 'the MKV through HLS', (s) => s.src.startsWith('blob:') && s.time > 0 && !s.paused, 60_000)
  await w.page.waitForFunction(() => (document.getElementById('subtitle-track') as HTMLSelectElement).options.length >= 2, { timeout: 15_000 })
  await w.page.select('#subtitle-track', '0')
  await w.page.evaluate((at: number) => { (document.getElementById('video') as HTMLVideoElement).currentTime = at }, CUE.start + 1)
  await untilPlayer(w.page, 'the subtitle cue', (s) => s.cues.some((c) => c.includes(CUE.text)), 30_000)
  t.pass('a subtitle shows its cue')

  if (SHOTS !== undefined) await w.page.screenshot({ path: path.join(SHOTS, 'page-desktop.png') })
  await w.page.setViewport({ width: 360, height: 740 })
  t.ok(await w.page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing wider than a 360 px screen')
  if (SHOTS !== undefined) await w.page.screenshot({ path: path.join(SHOTS, 'page-phone.png') })
  await w.page.setViewport({ width: 1280, height: 800 })

  // Delete the MP4's torrent (confirmed in the dialog).
  await w.page.click(`#t-${film.infoHash} button.name`)
  await w.page.click('#delete')
  await w.page.waitForFunction((ih: string) => document.getElementById(`t-${ih}`) === null, { timeout: 15_000 }, film.infoHash)
  const list = await (await fetch(`${daemon.base}/torrents`)).json() as { torrents: Array<{ infoHash: string }> }
  t.notOk(list.torrents.some((x) => x.infoHash === film.infoHash), 'the daemon no longer has it')
  checkClean(t, w)
})

t.test('with a token: the page asks once and uses signed media URLs', async (t) => {
  const daemon = await startDaemon({ workers: 1, shards: 1, env: { TOD_P2M_SECURITY_API_TOKENS: TOKEN } })
  t.teardown(async () => { await daemon.stop() })
  const w = await watchedPage(browser, daemon.base, TOKEN)
  t.teardown(async () => { await w.page.close() })
  await w.page.goto(`${daemon.base}/`)
  await w.page.waitForFunction(() => localStorage.getItem('tod-p2m-token') !== null, { timeout: 10_000 })
  t.equal(w.prompts.length, 1, 'asked once')
  const ms = await pasteAndPlay(w, film.magnet)
  t.comment(`with a token: first frame in ${ms} ms`)
  const s = await untilPlayer(w.page, 'a signed stream', (s) => s.src.includes('sig='))
  t.match(s.src, /\/stream\/.*[?&]sig=/)
  await w.page.reload()
  await w.page.waitForSelector(`#t-${film.infoHash}`, { timeout: 10_000 })
  t.equal(w.prompts.length, 1, 'the kept token is used after a reload')
  // The one 401 that made the page ask for the token.
  t.equal(w.errors.length, 1, 'one 401 logged')
  checkClean(t, w, [/status of 401/])
})
