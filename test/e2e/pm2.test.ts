// Under PM2 the supervisor reports key figures and answers two actions over its IPC channel
// (@pm2/io's protocol, spoken here by the test in PM2's place); without PM2 it says nothing.
import { once } from 'node:events'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import type { Daemon } from '../helpers/daemon.js'

interface AxmMessage { type: string, data: Record<string, unknown> }

/** The daemon with an IPC channel like PM2's, and every message it sends there. */
async function start (env: Record<string, string>): Promise<{ daemon: Daemon, messages: AxmMessage[], next: (pred: (m: AxmMessage) => boolean) => Promise<AxmMessage> }> {
  const messages: AxmMessage[] = []
  const waiters = new Set<{ pred: (m: AxmMessage) => boolean, resolve: (m: AxmMessage) => void }>()
  const daemon = await startDaemon({ workers: 1, shards: 1, ipc: true, env })
  daemon.proc.on('message', (m: AxmMessage) => {
    messages.push(m)
    for (const w of waiters) if (w.pred(m)) { waiters.delete(w); w.resolve(m) }
  })
  const next = async (pred: (m: AxmMessage) => boolean): Promise<AxmMessage> => messages.find(pred) ??
    await new Promise<AxmMessage>((resolve) => { waiters.add({ pred, resolve }) })
  return { daemon, messages, next }
}

t.test('under PM2: figures as metrics, and the reap and stats actions', async (t) => {
  const { daemon, next } = await start({ pm_id: '0', name: 'tod-p2m' })
  t.teardown(async () => { await daemon.stop() })
  for (const action of ['reap', 'stats']) {
    await next((m) => m.type === 'axm:action' && m.data.action_name === action)
    t.pass(`action ${action} registered`)
  }
  await (await fetch(`${daemon.base}/health/live`)).arrayBuffer()
  const monitor = await next((m) => m.type === 'axm:monitor' && typeof m.data.Torrents === 'object')
  t.match(monitor.data, { Torrents: { value: Number }, 'Active streams': { value: Number }, Download: { unit: 'B/s' }, 'Disk used': { unit: 'B' } })
  daemon.proc.send('stats')
  const stats = await next((m) => m.type === 'axm:reply' && m.data.action_name === 'stats')
  t.match(stats.data.return, { torrents: 0, activeStreams: 0, httpRequests: Number, frontendRestarts: 0, shardRestarts: 0 })
  t.ok((stats.data.return as { httpRequests: number }).httpRequests >= 1, 'the request above is counted')
  daemon.proc.send('reap')
  const reap = await next((m) => m.type === 'axm:reply' && m.data.action_name === 'reap')
  t.match(reap.data.return, { torrents: 0, bytes: 0, evicted: [], ms: Number })
  // PM2 stops an app with SIGINT: the supervisor drains and exits 0.
  const exited = once(daemon.proc, 'exit')
  daemon.proc.kill('SIGINT')
  t.same(await exited, [0, null])
})

t.test('not under PM2: nothing is sent and @pm2/io is not started', async (t) => {
  const { daemon, messages } = await start({})
  t.teardown(async () => { await daemon.stop() })
  await (await fetch(`${daemon.base}/health`)).arrayBuffer()
  t.same(messages, [])
  t.notOk(daemon.logs.some((l) => String(l.message).startsWith('pm2')))
})
