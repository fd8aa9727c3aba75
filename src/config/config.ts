import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import convict from 'convict'
import YAML from 'yaml'
import { registerFormats } from './formats.js'
import { schema } from './schema.js'
import type { KeySpec, Live, Settings } from './schema.js'

registerFormats()

/**
 * The validated, fully resolved configuration, typed from the schema (src/config/schema.ts):
 * `Config['torrent']` and the other sections are its slices. Frozen; passed down, never re-read.
 */
export interface Config extends Settings {
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
  return resolve(conf.getProperties() as Settings, file ?? null)
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

function resolve (raw: Settings, source: string | null): Config {
  const cpus = os.availableParallelism()
  const dir = path.resolve(raw.torrent.dir)
  const config: Config = {
    ...raw,
    server: { ...raw.server, workers: raw.server.workers || cpus, public_url: publicUrl(raw.server.public_url), node_name: raw.server.node_name || os.hostname() },
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

/** server.public_url as an origin with an optional path and no trailing slash; '' stays ''. */
function publicUrl (text: string): string {
  if (text === '') return ''
  let url: URL
  try {
    url = new URL(text)
  } catch (err) {
    throw new ConfigError(`server.public_url must be an absolute http(s) URL, got ${text.slice(0, 60)}`, { cause: err })
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new ConfigError(`server.public_url must be an http(s) URL without query or fragment, got ${text.slice(0, 60)}`)
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '')
}

/** The configuration with its secrets (keys marked `sensitive` in the schema) masked, for printing. */
export function redacted (config: Config): Config {
  const copy = JSON.parse(JSON.stringify(config)) as Record<string, Record<string, unknown>>
  for (const { key, spec } of schemaEntries()) {
    const [section, name] = key.split('.') as [string, string]
    const target = copy[section]
    if (spec.sensitive !== true || target === undefined) continue
    const v = target[name]
    target[name] = Array.isArray(v) ? v.map(() => '[redacted]') : v === '' ? '' : '[redacted]'
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
    `| \`${k.key}\` | ${k.doc} | \`${JSON.stringify(k.default)}\` | ${k.format.replaceAll('|', '\\|')} | \`${k.env}\` | ${k.live} |`)
  return [
    '# Configuration reference',
    '',
    'Generated from the convict schema (`src/config/schema.ts`) by',
    '`tod-p2m check-config --print-schema --markdown`; do not edit by hand.',
    '',
    `Precedence: defaults < config file (\`--config PATH\`, else \`${DEFAULT_CONFIG_FILE}\` when it`,
    'exists; JSON, or YAML by extension) < environment < command line (`--port`, `--host`, `--dir`,',
    '`--workers`, `--shards`, `--log-level`, `--allow-private-networks`; the single-dash spelling',
    '`-port 8080` works too). Unknown keys and wrong types stop the start with a message naming the',
    'key and the file. An unknown `TOD_P2M_*` environment variable (a misspelt name) is warned about',
    'at start and by `check-config`, with the closest known name.',
    '',
    'Lists (format `list`) are a JSON array or comma-separated in the environment:',
    '`TOD_P2M_SECURITY_ALLOWED_ORIGINS=\'["https://a.example","https://b.example"]\'` or',
    '`TOD_P2M_SECURITY_ALLOWED_ORIGINS=https://a.example,https://b.example`. Booleans (format `bool`)',
    'are `true`/`false`, `1`/`0`, `yes`/`no` or `on`/`off`; anything else is an error.',
    '',
    'The last column says where a reload (SIGHUP) applies a changed key: `everywhere` at once,',
    '`frontends` in the front-ends the reload forks, `supervisor` in the supervisor (reaper, bandwidth,',
    'request and torrent limits); `restart` keys keep their old value until a restart.',
    '',
    '| key | meaning | default | format | environment | on reload |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    ''
  ].join('\n')
}

/** One setting as `check-config --print-schema` lists it. */
export interface SettingDescription { key: string, doc: string, default: unknown, env: string, format: string, live: Live }

/** The schema as a flat list, for `check-config --print-schema` and docs/config.md. */
export function describeSchema (): SettingDescription[] {
  return schemaEntries().map(({ key, spec }) => {
    const format = Array.isArray(spec.format)
      ? spec.format.join(' | ')
      : typeof spec.format === 'function' ? spec.format.name.toLowerCase() : String(spec.format)
    return { key, doc: spec.doc, default: spec.default, env: spec.env, format, live: spec.live }
  })
}

/** Every key of the schema with its spec, in schema order. */
export function schemaEntries (): Array<{ key: string, spec: KeySpec }> {
  const specs: Record<string, Record<string, KeySpec>> = schema
  return Object.entries(specs).flatMap(([section, keys]) =>
    Object.entries(keys).map(([name, spec]) => ({ key: `${section}.${name}`, spec })))
}

/** An environment variable that looks meant for tod-p2m but names no setting. */
export interface UnknownVariable { name: string, suggestion?: string }

/**
 * The TOD_P2M_* variables of `env` that name no setting (a misspelling is otherwise silently
 * ignored), each with the closest known name when one is near.
 */
export function unknownVariables (env: NodeJS.ProcessEnv = process.env): UnknownVariable[] {
  const known = schemaEntries().map((e) => e.spec.env)
  return Object.keys(env).filter((name) => name.startsWith('TOD_P2M_') && !known.includes(name)).sort().map((name) => {
    let best: string | undefined
    let bestDistance = Infinity
    for (const k of known) {
      const d = editDistance(name, k)
      if (d < bestDistance) { best = k; bestDistance = d }
    }
    // Within a third of the name: a typo, not a different word.
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? { name, suggestion: best } : { name }
  })
}

/** One line per unknown variable, for stderr. */
export function describeUnknownVariables (env: NodeJS.ProcessEnv = process.env): string[] {
  return unknownVariables(env).map((u) => `unknown environment variable ${u.name.slice(0, 80)} is ignored` +
    (u.suggestion !== undefined ? ` (did you mean ${u.suggestion}?)` : ''))
}

/** Levenshtein distance. */
function editDistance (a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = row
  }
  return prev[b.length]!
}
