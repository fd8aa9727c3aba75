import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import convict from 'convict'
import YAML from 'yaml'
import type { MediaConfig } from '../media/options.js'
import { schema } from './schema.js'

/** The validated, fully resolved configuration. Frozen; passed down, never re-read. */
export interface Config {
  readonly server: {
    readonly port: number
    readonly host: string
    readonly workers: number
    readonly trust_proxy: readonly string[]
    readonly max_torrent_upload_bytes: number
    readonly max_connections: number
    readonly max_header_bytes: number
    readonly header_timeout_ms: number
    readonly write_idle_timeout_ms: number
  }
  readonly logging: { readonly level: 'error' | 'warn' | 'info' | 'debug', readonly format: 'json' | 'text' }
  readonly torrent: {
    readonly dir: string
    readonly state_dir: string
    readonly shards: number
    readonly port: number
    readonly max_connections: number
    readonly download_rate_limit: number
    readonly upload_rate_limit: number
    readonly metadata_timeout_ms: number
    readonly cache_size: number
    readonly max_disk_usage: number
    readonly cleanup_interval: number
    readonly idle_timeout: number
    readonly read_timeout_ms: number
    readonly dht: boolean
    readonly lsd: boolean
    readonly nat_traversal: boolean
    readonly encryption: 'prefer' | 'require' | 'off'
  }
  readonly streaming: { readonly readahead_bytes: number, readonly buffer_size: number, readonly sendfile: boolean }
  readonly security: {
    readonly allow_private_networks: boolean
    readonly api_tokens: readonly string[]
    readonly url_signing_key: string
    readonly signed_url_ttl: number
    readonly enable_cors: boolean
    readonly allowed_origins: readonly string[]
    readonly requests_per_minute: number
    readonly max_torrents: number
    readonly max_torrents_per_ip: number
  }
  readonly media: MediaConfig
  readonly debug: { readonly fault_injection: boolean }
  /** The file the settings came from, if any. */
  readonly source: string | null
}

/** Where the packaged service keeps its config; used when it exists and no --config is given. */
export const DEFAULT_CONFIG_FILE = '/etc/tod-p2m/config.json'

/** A config problem that stops the start: names the key, the file and what was expected. */
export class ConfigError extends Error {
  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'ConfigError'
  }
}

export interface LoadOptions {
  /** --config PATH; undefined means DEFAULT_CONFIG_FILE if it exists. */
  file?: string
  /** Values from the command line, by dotted key (highest precedence). */
  overrides?: Record<string, unknown>
  env?: NodeJS.ProcessEnv
}

/**
 * Loads defaults < file < environment < command line, validates strictly (unknown keys and
 * wrong types are errors), resolves derived values (0 workers/shards = CPU count, state_dir)
 * and freezes the result.
 */
export function loadConfig (opts: LoadOptions = {}): Config {
  const conf = convict(schema, { env: opts.env ?? process.env, args: [] })
  const file = opts.file ?? (fs.existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined)
  if (file !== undefined) conf.load(readConfigFile(file))
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue
    try {
      conf.set(key as never, value as never)
    } catch (err) {
      throw new ConfigError(`command line: ${key}: ${(err as Error).message}`, { cause: err })
    }
  }
  try {
    conf.validate({ allowed: 'strict' })
  } catch (err) {
    const where = file !== undefined ? ` (in ${file}, environment or command line)` : ''
    throw new ConfigError(`invalid configuration${where}: ${(err as Error).message}`, { cause: err })
  }
  return resolve(conf.getProperties() as Omit<Config, 'source'>, file ?? null)
}

function readConfigFile (file: string): object {
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read config file ${file}: ${(err as Error).message}`, { cause: err })
  }
  const yaml = /\.ya?ml$/i.test(file)
  let parsed: unknown
  try {
    parsed = yaml ? YAML.parse(text) : JSON.parse(text)
  } catch (err) {
    throw new ConfigError(`config file ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message}`, { cause: err })
  }
  if (parsed === null || parsed === undefined) return {}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold an object of sections (server, torrent, ...)`)
  }
  return parsed
}

function resolve (raw: Omit<Config, 'source'>, source: string | null): Config {
  const cpus = os.availableParallelism()
  const dir = path.resolve(raw.torrent.dir)
  const config: Config = {
    ...raw,
    server: { ...raw.server, workers: raw.server.workers || cpus },
    torrent: {
      ...raw.torrent,
      dir,
      state_dir: raw.torrent.state_dir !== '' ? path.resolve(raw.torrent.state_dir) : path.join(dir, '.tod-p2m-state'),
      shards: raw.torrent.shards || cpus
    },
    source
  }
  return deepFreeze(config)
}

/** The configuration with its secrets (keys marked `sensitive` in the schema) masked, for printing. */
export function redacted (config: Config): Config {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>
  for (const [section, keys] of Object.entries(schema)) {
    for (const [name, spec] of Object.entries(keys as Record<string, { sensitive?: boolean }>)) {
      const target = copy[section]
      if (spec.sensitive !== true || target === undefined) continue
      const v = target[name]
      target[name] = Array.isArray(v) ? v.map(() => '[redacted]') : v === '' ? '' : '[redacted]'
    }
  }
  return copy as unknown as Config
}

/** Freezes an object and everything in it. */
export function deepFreeze<T extends object> (o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v)
  return Object.freeze(o)
}

/** docs/config.md: the schema as a Markdown reference (`check-config --print-schema --markdown`). */
export function schemaMarkdown (): string {
  const rows = describeSchema().map((k) =>
    `| \`${k.key}\` | ${k.doc} | \`${JSON.stringify(k.default)}\` | ${k.format} | \`${k.env}\` |`)
  return [
    '# Configuration reference',
    '',
    'Generated from the convict schema (`src/config/schema.ts`) by',
    '`tod-p2m check-config --print-schema --markdown`; do not edit by hand.',
    '',
    'Precedence: defaults < config file (`--config PATH`, else `/etc/tod-p2m/config.json` when it',
    'exists; JSON, or YAML by extension) < environment < command line (`--port`, `--host`, `--dir`,',
    '`--workers`, `--shards`, `--log-level`; the single-dash spelling `-port 8080` works too).',
    'Unknown keys and wrong types stop the start with a message naming the key and the file.',
    '',
    '| key | meaning | default | format | environment |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    ''
  ].join('\n')
}

/** The schema as a flat list, for `check-config --print-schema` and docs/config.md. */
export function describeSchema (): Array<{ key: string, doc: string, default: unknown, env: string, format: string }> {
  const out: Array<{ key: string, doc: string, default: unknown, env: string, format: string }> = []
  for (const [section, keys] of Object.entries(schema)) {
    for (const [name, spec] of Object.entries(keys as Record<string, { doc: string, default: unknown, env: string, format: unknown }>)) {
      const format = Array.isArray(spec.format)
        ? spec.format.join(' | ')
        : typeof spec.format === 'function' ? spec.format.name.toLowerCase() : String(spec.format)
      out.push({ key: `${section}.${name}`, doc: spec.doc, default: spec.default, env: spec.env, format })
    }
  }
  return out
}
