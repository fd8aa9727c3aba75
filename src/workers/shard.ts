// Piscina entry of a shard thread: one WebTorrent engine per thread, built from workerData.
import { workerData } from 'piscina'
import { createLogger } from '../log.js'
import type { EngineTask, ShardWorkerData, TaskOutcome } from '../protocol.js'
import { installConnectGuard } from '../security/connect-guard.js'
import { RefusedTorrentError } from './checked-store.js'
import { Engine } from './engine.js'

// Piscina types workerData as any; the supervisor (src/daemon/shard-pool.ts) starts the thread with a ShardWorkerData.
const { config, shard }: ShardWorkerData = workerData
if (!config.security.allow_private_networks) installConnectGuard()
// A torrent refused by its chunk store (checked-store.ts) leaves a rejected promise inside
// WebTorrent's metadata handling, which nothing awaits; it was handled already. Anything else
// unhandled still ends the thread (the supervisor rebuilds it).
process.on('unhandledRejection', (reason) => { if (!(reason instanceof RefusedTorrentError)) throw reason })
const engine = new Engine(config, shard, createLogger(config.logging, 'shard', { shard }))
await engine.start()

export default async function handle<T extends EngineTask> (task: T): Promise<TaskOutcome<T['type']>> {
  return await engine.handle(task)
}
