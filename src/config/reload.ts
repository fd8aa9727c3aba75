import { deepFreeze, schemaEntries } from './config.js'
import type { Config } from './config.js'
import type { Live } from './schema.js'

/** Where a reload applies each key, from the schema's `live` (src/config/schema.ts). */
export const LIVE: ReadonlyMap<string, Live> = new Map(schemaEntries().map(({ key, spec }) => [key, spec.live]))

/** Settings a SIGHUP applies to the running daemon (every key whose `live` is not `restart`). */
export const LIVE_KEYS: ReadonlySet<string> = new Set([...LIVE].filter(([, live]) => live !== 'restart').map(([key]) => key))

export interface ReloadPlan {
  /** The configuration to run with: live keys from the new file, the rest as before. */
  config: Config
  applied: string[]
  needsRestart: string[]
}

/** Compares the running and the newly loaded configuration, key by key. */
export function planReload (running: Config, next: Config): ReloadPlan {
  const applied: string[] = []
  const needsRestart: string[] = []
  const merged: Record<string, Record<string, unknown>> = {}
  for (const [section, values] of Object.entries(running)) {
    if (typeof values !== 'object' || values === null || Array.isArray(values)) continue
    const target: Record<string, unknown> = { ...values as Record<string, unknown> }
    merged[section] = target
    for (const [key, old] of Object.entries(values as Record<string, unknown>)) {
      const fresh = (next as unknown as Record<string, Record<string, unknown>>)[section]?.[key]
      if (JSON.stringify(fresh) === JSON.stringify(old)) continue
      const name = `${section}.${key}`
      if (LIVE_KEYS.has(name)) {
        applied.push(name)
        target[key] = fresh
      } else {
        needsRestart.push(name)
      }
    }
  }
  const config = deepFreeze({ ...merged, source: next.source } as unknown as Config)
  return { config, applied, needsRestart }
}
