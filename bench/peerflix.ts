/**
 * peerflix as a contender. It is installed by the bench into a temp prefix with npm (never a
 * dependency of this project), and each "fresh" start is a new peerflix process on new temp
 * folders: peerflix serves one torrent per process, and its metadata cache lives in --tmp.
 * Flags: `-q` (no terminal UI redrawn twice a second), HTTP on 127.0.0.1 at a free port,
 * `-e` the seeder as its peer, `--no-dht --no-tracker` (optimist turns them into the
 * `dht: false, tracker: false` options of torrent-stream), `--path` the data folder.
 * peerflix has no running-daemon mode, so its time to metadata is process start to its HTTP
 * server listening (it listens only once the metadata is there); node start-up is in it.
 */
import { execFile } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import readline from 'node:readline'
import { promisify } from 'node:util'
import { freePort } from '../test/helpers/net.js'
import { spawnTied, stopTree } from './child.js'
import type { Cleanup } from './cleanup.js'
import type { Fresh, SwarmContender } from './contender.js'
import { PeakSampler } from './proc-stats.js'
import type { MemoryPeak } from './proc-stats.js'
import { msSince } from './stats.js'
import type { Swarm } from './swarm.js'

/** The version measured (the latest release; pinned so runs compare). */
export const PEERFLIX_VERSION = '0.39.0'

/**
 * `npm install --prefix <prefix> peerflix@VERSION`; resolves the path of its app.js. The
 * prefix gets a package.json of its own, so nothing touches this project's.
 */
export async function installPeerflix (prefix: string, log: (line: string) => void): Promise<string> {
  log(`installing peerflix@${PEERFLIX_VERSION} into ${prefix}`)
  fs.writeFileSync(path.join(prefix, 'package.json'), JSON.stringify({ name: 'tod-bench-peerflix', private: true }))
  await promisify(execFile)('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `peerflix@${PEERFLIX_VERSION}`],
    { cwd: prefix, maxBuffer: 16 * 1024 * 1024, timeout: 300_000 })
  const app = path.join(prefix, 'node_modules', 'peerflix', 'app.js')
  if (!fs.existsSync(app)) throw new Error(`peerflix not found at ${app} after npm install`)
  return app
}

interface Running {
  child: ChildProcess
  sampler: PeakSampler
  dir: string
  stop: () => Promise<void>
}

export class PeerflixContender implements SwarmContender {
  readonly name = 'peerflix'
  readonly #app: string
  readonly #swarm: Swarm
  readonly #workDir: string
  readonly #cleanup: Cleanup
  #current: Running | undefined
  #peak: MemoryPeak = { rss: 0, pss: 0 }
  #starts = 0

  /** @param workDir - a folder under which each process gets its own data and temp folders. */
  constructor (app: string, swarm: Swarm, workDir: string, cleanup: Cleanup) {
    this.#app = app
    this.#swarm = swarm
    this.#workDir = workDir
    this.#cleanup = cleanup
  }

  async begin (): Promise<void> {
    this.#peak = { rss: 0, pss: 0 }
  }

  async fresh (): Promise<Fresh> {
    await this.#stopCurrent()
    const dir = fs.mkdtempSync(path.join(this.#workDir, `peerflix-${++this.#starts}-`))
    const port = await freePort()
    const args = [this.#app, this.#swarm.magnet, '-q', '-h', '127.0.0.1', '-p', String(port), '-e', this.#swarm.peerAddress,
      '--no-dht', '--no-tracker', '--path', path.join(dir, 'data'), '--tmp', path.join(dir, 'tmp')]
    const t0 = process.hrtime.bigint()
    // HOME points at the temp folder so no ~/.peerflixrc (rc package) changes the options.
    const child = spawnTied(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: dir } })
    const sampler = new PeakSampler(child.pid!)
    const undo = this.#cleanup.defer('stop peerflix', async () => {
      await stopTree(child, 'SIGTERM', 5_000)
      fs.rmSync(dir, { recursive: true, force: true })
    })
    this.#current = { child, sampler, dir, stop: undo }
    const url = await listening(child, 60_000)
    const metadataMs = msSince(t0)
    return { url: `${url}0`, pid: child.pid!, metadataMs }
  }

  async end (): Promise<MemoryPeak> {
    await this.#stopCurrent()
    return this.#peak
  }

  async #stopCurrent (): Promise<void> {
    const cur = this.#current
    if (cur === undefined) return
    this.#current = undefined
    const p = cur.sampler.stop()
    this.#peak = { rss: Math.max(this.#peak.rss, p.rss), pss: Math.max(this.#peak.pss, p.pss) }
    await cur.stop()
  }
}

/**
 * Resolves peerflix's base URL from its `server is listening on http://HOST:PORT/` line
 * (printed once the metadata is there and the HTTP server listens); rejects if it exits or
 * says nothing in time.
 */
async function listening (child: ChildProcess, ms: number): Promise<string> {
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  return await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! })
    const done = (err: Error | null, url?: string): void => {
      clearTimeout(timer)
      child.off('exit', onExit)
      lines.off('line', onLine)
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      if (err !== null) reject(err)
      else resolve(url!)
    }
    const onLine = (line: string): void => {
      const m = /server is listening on (http:\/\/\S+\/)/.exec(line)
      if (m !== null) done(null, m[1])
    }
    const onExit = (code: number | null): void => { done(new Error(`peerflix exited (${code}) before listening: ${stderr}`)) }
    const timer = setTimeout(() => { done(new Error(`peerflix not listening after ${ms} ms: ${stderr}`)) }, ms)
    lines.on('line', onLine)
    child.once('exit', onExit)
  })
}
