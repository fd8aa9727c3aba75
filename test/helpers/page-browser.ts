/**
 * Puppeteer around the web page at GET /: a page that records what the test must check on
 * every run (requests outside the daemon's origin, console errors) and answers the page's
 * dialogs (the token prompt, the delete confirmation).
 */
import type { Browser, Page } from 'puppeteer-core'

export interface WatchedPage {
  page: Page
  /** Requests to anything but `origin` (data: and blob: URLs are the page's own). */
  foreign: string[]
  /** Console errors and uncaught exceptions. */
  errors: string[]
  /** Prompts the page showed. */
  prompts: string[]
}

/** A new page of `browser` that answers a prompt with `token` and accepts confirmations. */
export async function watchedPage (browser: Browser, origin: string, token?: string): Promise<WatchedPage> {
  const page = await browser.newPage()
  const w: WatchedPage = { page, foreign: [], errors: [], prompts: [] }
  page.on('request', (r) => {
    const url = r.url()
    if (url.startsWith('data:') || url.startsWith('blob:')) return
    if (new URL(url).origin !== origin) w.foreign.push(url)
  })
  page.on('console', (m) => { if (m.type() === 'error') w.errors.push(m.text()) })
  page.on('pageerror', (e) => { w.errors.push(String(e)) })
  page.on('dialog', (d) => {
    if (d.type() === 'prompt') {
      w.prompts.push(d.message())
      void d.accept(token ?? '')
    } else {
      void d.accept()
    }
  })
  return w
}

/** The player's state as the test reads it. */
export interface PlayerState { time: number, paused: boolean, duration: number, src: string, cues: string[], error: string, wait: string }

export async function playerState (page: Page): Promise<PlayerState> {
  return await page.evaluate(() => {
    const v = document.getElementById('video') as HTMLVideoElement
    const cues: string[] = []
    for (const track of Array.from(v.textTracks)) {
      for (const cue of Array.from(track.activeCues ?? [])) cues.push((cue as VTTCue).text)
    }
    return {
      time: v.currentTime,
      paused: v.paused,
      duration: v.duration,
      src: v.currentSrc,
      cues,
      error: document.getElementById('error')?.textContent ?? '',
      wait: document.getElementById('wait')?.textContent ?? ''
    }
  })
}

/** Polls the player until `pred` holds (bounded); fails at once on an error the page shows. */
export async function untilPlayer (page: Page, what: string, pred: (s: PlayerState) => boolean, ms = 30_000): Promise<PlayerState> {
  const end = Date.now() + ms
  for (;;) {
    const s = await playerState(page)
    if (s.error !== '') throw new Error(`${what}: the page shows an error: ${s.error}`)
    if (pred(s)) return s
    if (Date.now() > end) throw new Error(`${what}: not reached in ${ms} ms (${JSON.stringify(s)})`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
