import type { Logger } from '../log.js'
import { keyFigures } from '../metrics/key-figures.js'
import type { KeyFigures } from '../metrics/key-figures.js'
import type { MetricsSnapshot } from '../protocol.js'
import type { ReapReport } from './reaper.js'

/** How often the figures PM2 shows are refreshed (one collection across the daemon each time). */
const REFRESH_MS = 5_000

/** PM2 puts pm_id in the environment of every process it starts. */
export function underPm2 (env: NodeJS.ProcessEnv): boolean {
  return env.pm_id !== undefined
}

/** What the PM2 integration needs from the supervisor. */
export interface Pm2Daemon {
  /** Every metric of the daemon, summed (src/metrics/hub.ts). */
  summary: () => Promise<MetricsSnapshot>
  /** One reaper pass now. */
  reap: () => Promise<ReapReport>
}

const LABELS: Record<keyof KeyFigures, { name: string, unit?: string }> = {
  torrents: { name: 'Torrents' },
  activeStreams: { name: 'Active streams' },
  peers: { name: 'Peers' },
  downloadBytesPerSecond: { name: 'Download', unit: 'B/s' },
  uploadBytesPerSecond: { name: 'Upload', unit: 'B/s' },
  diskUsedBytes: { name: 'Disk used', unit: 'B' },
  httpRequests: { name: 'HTTP requests' },
  frontendRestarts: { name: 'Front-end restarts' },
  shardRestarts: { name: 'Shard restarts' }
}

/**
 * Under PM2 (the supervisor only: it is the process PM2 started, in fork mode): the key figures
 * as PM2 metrics, and the actions `reap` (one reaper pass, answers its report) and `stats` (the
 * figures now). @pm2/io is loaded only here, so a daemon not under PM2 never loads it; it is
 * set up without its HTTP patching, profiler and exception handler, which would change how
 * the daemon behaves. Returns a function that stops it.
 */
export async function startPm2 (daemon: Pm2Daemon, log: Logger): Promise<() => void> {
  const before = new Set<unknown>([...process.listeners('uncaughtException'), ...process.listeners('unhandledRejection')])
  // Importing @pm2/io initialises it with its defaults; init() below replaces them.
  const { default: io } = await import('@pm2/io')
  io.init({
    catchExceptions: false,
    profiling: false,
    metrics: { http: false, network: false, v8: true, eventLoop: true, runtime: true },
    actions: { eventLoopDump: false }
  })
  // That first default init hooked uncaughtException and unhandledRejection, and its destroy()
  // leaves them in place (@pm2/io 6.1.0 removes other functions than it added), so an
  // unhandled rejection would only be logged. Errors must end the supervisor as without PM2.
  for (const l of process.listeners('uncaughtException')) if (!before.has(l)) process.off('uncaughtException', l)
  for (const l of process.listeners('unhandledRejection')) if (!before.has(l)) process.off('unhandledRejection', l)
  let figures: KeyFigures | null = null
  const refresh = async (): Promise<KeyFigures> => (figures = keyFigures(await daemon.summary()))
  for (const [key, label] of Object.entries(LABELS) as Array<[keyof KeyFigures, { name: string, unit?: string }]>) {
    io.metric({ name: label.name, ...(label.unit !== undefined ? { unit: label.unit } : {}), value: () => figures?.[key] ?? 0 })
  }
  io.action('reap', (reply: (answer: unknown) => void) => {
    daemon.reap().then(reply, (err: unknown) => { reply({ error: String(err) }) })
  })
  io.action('stats', (reply: (answer: unknown) => void) => {
    refresh().then(reply, (err: unknown) => { reply({ error: String(err) }) })
  })
  const timer = setInterval(() => { refresh().catch((err: unknown) => { log.debug('pm2: figures not refreshed', { err: String(err) }) }) }, REFRESH_MS)
  timer.unref()
  void refresh().catch(() => {})
  log.info('pm2: metrics and actions enabled', { actions: ['reap', 'stats'] })
  return () => {
    clearInterval(timer)
    io.destroy()
  }
}
