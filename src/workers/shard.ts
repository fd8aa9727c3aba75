// Piscina entry of a shard thread: one WebTorrent engine per thread, built from workerData.
import { workerData } from 'piscina'
import type { Config } from '../config/config.js'
import { createLogger } from '../log.js'
import type { EngineTask } from '../protocol.js'
import { installConnectGuard } from '../security/connect-guard.js'
import { RefusedTorrentError } from './checked-store.js'
import { Engine } from './engine.js'
import type { TaskOutcome } from './engine.js'

const { config, shard } = workerData as { config: Config, shard: number }
if (!config.security.allow_private_networks) installConnectGuard()
// A torrent refused by its chunk store (checked-store.ts) leaves a rejected promise inside
// WebTorrent's metadata handling, which nothing awaits; it was handled already. Anything else
// unhandled still ends the thread (the supervisor rebuilds it).
process.on('unhandledRejection', (reason) => { if (!(reason instanceof RefusedTorrentError)) throw reason })
const engine = new Engine(config, shard, createLogger(config.logging, 'shard', { shard }))
await engine.start()

export default async function handle (task: EngineTask): Promise<TaskOutcome> {
  return await engine.handle(task)
}
