import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'

/** The repository root: the nearest folder above this file with a package.json (this file also runs compiled, from dist/test/helpers, for the benchmarks). */
function repoRoot (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir)
  return dir
}
/** The built daemon, as `npm start` runs it. */
export const MAIN = path.join(repoRoot(), 'dist/src/daemon/main.js')

/** One JSON log line of the daemon. */
export type LogLine = Record<string, unknown> & { message?: string }

export interface Daemon {
  /** http://127.0.0.1:PORT */
  base: string
  port: number
  dir: string
  proc: ChildProcess
  logs: LogLine[]
  /** Resolves with the first log line (already seen or future) that satisfies `pred`. */
  waitForLog: (pred: (l: LogLine) => boolean, ms?: number) => Promise<LogLine>
  /** SIGTERM, then waits for exit; resolves the exit code. */
  stop: () => Promise<number | null>
}

export interface DaemonOptions {
  workers?: number
  shards?: number
  /** Data folder; a fresh temporary one by default (removed on stop unless given). */
  dir?: string
  env?: Record<string, string>
  args?: string[]
  /** Open an IPC channel to the daemon, as PM2 does (`proc.send`, `proc.on('message')`). */
  ipc?: boolean
}

/** The settings every test daemon runs with (a test may override them). */
export const TEST_DAEMON_ENV: Readonly<Record<string, string>> = {
  TOD_P2M_TORRENT_DHT: 'false',
  TOD_P2M_TORRENT_LSD: 'false',
  TOD_P2M_TORRENT_NAT_TRAVERSAL: 'false',
  // The test swarms live on 127.0.0.1, which the SSRF guard refuses by default.
  TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: 'true',
  // Every test client is 127.0.0.1: tests of the request limit set their own.
  TOD_P2M_SECURITY_REQUESTS_PER_MINUTE: '0',
  TOD_P2M_LOGGING_FORMAT: 'json'
}

/**
 * Starts the real daemon (the built dist/, as `npm start` runs it) on a free port of
 * 127.0.0.1, with DHT, LSD and NAT traversal off, and waits until it is listening.
 */
export async function startDaemon (opts: DaemonOptions = {}): Promise<Daemon> {
  const ownDir = opts.dir === undefined
  const dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tod-e2e-'))
  const proc = spawn(process.execPath, [
    // As `npm start` and the packaged launcher run it: native RC4 for protocol encryption.
    '--openssl-legacy-provider', MAIN, 'serve', '--port', '0', '--host', '127.0.0.1', '--dir', dir,
    '--workers', String(opts.workers ?? 2), '--shards', String(opts.shards ?? 2), ...(opts.args ?? [])
  ], {
    env: { ...process.env, ...TEST_DAEMON_ENV, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc === true ? ['ipc' as const] : [])]
  })
  const logs: LogLine[] = []
  const watchers = new Set<{ pred: (l: LogLine) => boolean, resolve: (l: LogLine) => void }>()
  readline.createInterface({ input: proc.stdout! }).on('line', (text) => {
    let line: LogLine
    try {
      line = JSON.parse(text) as LogLine
    } catch {
      line = { message: text }
    }
    logs.push(line)
    for (const w of watchers) if (w.pred(line)) { watchers.delete(w); w.resolve(line) }
  })
  let stderr = ''
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<number | null>((resolve) => { proc.once('exit', (code) => resolve(code)) })

  const waitForLog = async (pred: (l: LogLine) => boolean, ms = 20_000): Promise<LogLine> => {
    const seen = logs.find(pred)
    if (seen !== undefined) return seen
    return await new Promise<LogLine>((resolve, reject) => {
      const w = { pred, resolve: (l: LogLine) => { clearTimeout(timer); resolve(l) } }
      const timer = setTimeout(() => { watchers.delete(w); reject(new Error(`log line not seen in ${ms} ms; stderr: ${stderr.slice(-2000)}`)) }, ms)
      watchers.add(w)
      void exited.then(() => { if (watchers.delete(w)) { clearTimeout(timer); reject(new Error(`daemon exited; stderr: ${stderr.slice(-2000)}`)) } })
    })
  }

  const listening = await waitForLog((l) => l.message === 'listening', 30_000)
  const port = Number(listening.port)
  let stopping: Promise<number | null> | undefined
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    dir,
    proc,
    logs,
    waitForLog,
    stop: async () => {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
        const code = await exited
        clearTimeout(timer)
        if (ownDir) fs.rmSync(dir, { recursive: true, force: true })
        return code
      })()
      return await stopping
    }
  }
}
