// Entry of an HTTP front-end (a cluster worker): waits for its config from the supervisor,
// then serves. Stateless: any front-end can serve any request.
import type { Config } from '../config/config.js'
import { createLogger } from '../log.js'
import type { SupervisorMessage } from '../protocol.js'
import { EngineClient } from './engine-client.js'
import type { IpcChannel } from './engine-client.js'
import { createHttpServer } from './server.js'

const ipc = process as unknown as IpcChannel
const config = await new Promise<Config>((resolve) => {
  const onInit = (msg: SupervisorMessage): void => { if (msg.kind === 'init') resolve(msg.config) }
  process.on('message', onInit)
  ipc.send({ kind: 'hello' })
})
const log = createLogger(config.logging, 'frontend')
const engine = new EngineClient(ipc, config)
const { server, drain } = createHttpServer(config, engine, log)

process.on('message', (msg: SupervisorMessage) => {
  if (msg.kind === 'shutdown') void drain().then(() => process.exit(0))
})
server.listen({ port: config.server.port, ...(config.server.host !== '' ? { host: config.server.host } : {}) }, () => {
  const address = server.address()
  ipc.send({ kind: 'ready', port: typeof address === 'object' && address !== null ? address.port : config.server.port })
})
