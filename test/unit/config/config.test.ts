import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { ConfigError, describeSchema, describeUnknownVariables, loadConfig, unknownVariables } from '../../../src/config/config.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-config-'))
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
const write = (name: string, text: string): string => {
  const p = path.join(dir, name)
  fs.writeFileSync(p, text)
  return p
}
const noFile = { file: write('empty.json', '{}'), env: {} }

t.test('defaults resolve: 0 workers/shards become the CPU count, state_dir derives from dir', async (t) => {
  const c = loadConfig({ ...noFile, overrides: { 'torrent.dir': '/tmp/x' } })
  t.equal(c.server.port, 8080)
  t.equal(c.server.workers, os.availableParallelism())
  t.equal(c.torrent.shards, os.availableParallelism())
  t.equal(c.torrent.state_dir, '/tmp/x/.tod-p2m-state')
  t.ok(Object.isFrozen(c) && Object.isFrozen(c.torrent), 'frozen')
})

t.test('precedence: defaults < file < environment < command line', async (t) => {
  const file = write('p.json', JSON.stringify({ server: { port: 1111, workers: 3 }, torrent: { shards: 2 } }))
  const env = { TOD_P2M_SERVER_PORT: '2222', TOD_P2M_TORRENT_SHARDS: '5' }
  const c = loadConfig({ file, env, overrides: { 'server.port': 3333 } })
  t.equal(c.server.port, 3333, 'command line wins')
  t.equal(c.torrent.shards, 5, 'environment beats file')
  t.equal(c.server.workers, 3, 'file beats default')
  t.equal(c.source, file)
})

t.test('YAML files are read by extension', async (t) => {
  const c = loadConfig({ file: write('c.yaml', 'server:\n  port: 4444\nlogging:\n  level: debug\n'), env: {} })
  t.equal(c.server.port, 4444)
  t.equal(c.logging.level, 'debug')
})

t.test('unknown keys and wrong types stop the start, naming key and file', async (t) => {
  const unknown = write('u.json', JSON.stringify({ server: { prot: 1 } }))
  t.throws(() => loadConfig({ file: unknown, env: {} }), ConfigError)
  t.throws(() => loadConfig({ file: unknown, env: {} }), new RegExp(`${unknown}.*server\\.prot`))
  const wrong = write('w.json', JSON.stringify({ server: { port: 'eighty' } }))
  t.throws(() => loadConfig({ file: wrong, env: {} }), new RegExp(`${wrong}.*server\\.port`))
  t.throws(() => loadConfig({ file: write('l.json', JSON.stringify({ logging: { level: 'loud' } })), env: {} }), /logging\.level/)
  t.throws(() => loadConfig({ file: write('bad.json', '{ nope'), env: {} }), /not valid JSON/)
  t.throws(() => loadConfig({ file: path.join(dir, 'missing.json'), env: {} }), /cannot read config file/)
  t.throws(() => loadConfig({ file: write('arr.json', '[1]'), env: {} }), /must hold an object/)
  t.throws(() => loadConfig({ ...noFile, env: { TOD_P2M_SERVER_PORT: '99999' } }), /server\.port/)
})

t.test('every schema key has a doc, a default and a TOD_P2M_ environment variable', async (t) => {
  for (const k of describeSchema()) {
    t.ok(k.doc.length > 10, `${k.key} doc`)
    t.not(k.default, undefined, `${k.key} default`)
    t.equal(k.env, 'TOD_P2M_' + k.key.replace('.', '_').toUpperCase(), `${k.key} env name`)
  }
})

t.test('lists from the environment: a JSON array or commas', async (t) => {
  const json = loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_ALLOWED_ORIGINS: '["*"]', TOD_P2M_SERVER_TRUST_PROXY: '["10.0.0.1", "a,b"]' } })
  t.same(json.security.allowed_origins, ['*'], 'not the string ["*"]')
  t.same(json.server.trust_proxy, ['10.0.0.1', 'a,b'])
  const commas = loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_ALLOWED_ORIGINS: 'https://a.example, https://b.example' } })
  t.same(commas.security.allowed_origins, ['https://a.example', 'https://b.example'])
  t.same(loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_API_TOKENS: '' } }).security.api_tokens, [])
  t.throws(() => loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_ALLOWED_ORIGINS: '[1, 2]' } }), /security\.allowed_origins/)
  t.throws(() => loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_ALLOWED_ORIGINS: '[nope' } }), /security\.allowed_origins/)
})

t.test('booleans from the environment: 0 is false, nonsense is an error', async (t) => {
  const env = (v: string): boolean => loadConfig({ ...noFile, env: { TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: v } }).security.allow_private_networks
  for (const v of ['true', '1', 'yes', 'ON']) t.equal(env(v), true, v)
  for (const v of ['false', '0', 'no', 'off']) t.equal(env(v), false, v)
  t.throws(() => env('nope'), /security\.allow_private_networks/)
})

t.test('misspelt TOD_P2M_ variables are found, with the closest known name', async (t) => {
  t.same(unknownVariables({ TOD_P2M_SERVER_PROT: '1', TOD_P2M_SERVER_PORT: '2', HOME: '/' }), [{ name: 'TOD_P2M_SERVER_PROT', suggestion: 'TOD_P2M_SERVER_PORT' }])
  t.same(unknownVariables({ TOD_P2M_SECURITY_ALLOWED_ORIGIN: 'x' }), [{ name: 'TOD_P2M_SECURITY_ALLOWED_ORIGIN', suggestion: 'TOD_P2M_SECURITY_ALLOWED_ORIGINS' }])
  t.same(unknownVariables({ TOD_P2M_COMPLETELY_DIFFERENT_THING: 'x' }), [{ name: 'TOD_P2M_COMPLETELY_DIFFERENT_THING' }], 'no far-fetched suggestion')
  t.match(describeUnknownVariables({ TOD_P2M_TORRENT_DIRR: 'x' })[0], /TOD_P2M_TORRENT_DIRR .*did you mean TOD_P2M_TORRENT_DIR\?/)
})

t.test('the Config type is the schema\'s: each key is typed by its format', async (t) => {
  const c = loadConfig({ ...noFile, overrides: { 'torrent.dir': '/tmp/x' } })
  const level: 'error' | 'warn' | 'info' | 'debug' = c.logging.level
  const origins: readonly string[] = c.security.allowed_origins
  const files: number = c.torrent.max_files
  t.same([level, origins, files, c.torrent.max_path_bytes], ['info', [], 10_000, 1024 * 1024])
  for (const k of describeSchema()) t.ok(['everywhere', 'frontends', 'supervisor', 'restart'].includes(k.live), `${k.key} says where a reload applies it`)
})
