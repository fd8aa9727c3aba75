// Entry of an HTTP front-end (a cluster worker): waits for its config from the supervisor,
// then serves. Stateless: any front-end can serve any request.
import type { Config } from '../config/config.js'
import { createLogger } from '../log.js'
import type { FrontendMessage, SupervisorMessage } from '../protocol.js'
import { HttpMetrics } from '../metrics/http-metrics.js'
import { answerMetricsRequests, sendFinalMetrics } from '../metrics/frontend-reporter.js'
import type { MetricsChannel } from '../metrics/frontend-reporter.js'
import { EngineClient } from './engine-client.js'
import type { IpcChannel } from './engine-client.js'
import { createHttpServer } from './server.js'

const ipc = process as unknown as IpcChannel
const { config, urlKey, slot } = await new Promise<{ config: Config, urlKey: string, slot: number }>((resolve) => {
  const onInit = (msg: SupervisorMessage): void => { if (msg.kind === 'init') resolve(msg) }
  process.on('message', onInit)
  ipc.send({ kind: 'hello' })
})
const log = createLogger(config.logging, 'frontend')
const engine = new EngineClient(ipc, config)
const metrics = new HttpMetrics(slot)
const metricsIpc = process as unknown as MetricsChannel
answerMetricsRequests(metricsIpc, metrics)
const { server, drain } = createHttpServer(config, engine, log, urlKey, metrics)

// The supervisor drives shutdown (drain with a deadline): a Ctrl-C reaches the whole process
// group, and a front-end that died on it would cut the responses the drain lets finish.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => {})
let stopping = false
process.on('message', (msg: SupervisorMessage) => {
  // A second 'shutdown' changes nothing: the drain under way ends the process (the supervisor
  // enforces its own deadline).
  if (msg.kind !== 'shutdown' || stopping) return
  stopping = true
  void drain().then(async () => { await sendFinalMetrics(metricsIpc, metrics) }).then(() => process.exit(0))
})
// Before 'listening', an 'error' is the listen failing (the port is taken, say): every
// front-end would fail the same way, so the supervisor gives up at once, with one log line.
const onListenError = (err: NodeJS.ErrnoException): void => {
  const failure: FrontendMessage = { kind: 'listen-failed', code: err.code ?? 'UNKNOWN', address: config.server.host !== '' ? config.server.host : '*', port: config.server.port }
  process.send?.(failure, () => { process.exit(1) })
}
server.once('error', onListenError)
server.listen({ port: config.server.port, ...(config.server.host !== '' ? { host: config.server.host } : {}) }, () => {
  server.off('error', onListenError)
  const address = server.address()
  ipc.send({ kind: 'ready', port: typeof address === 'object' && address !== null ? address.port : config.server.port })
})
