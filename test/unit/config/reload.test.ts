import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { LIVE, LIVE_KEYS, planReload } from '../../../src/config/reload.js'

const base = (overrides: Record<string, unknown>) => loadConfig({ file: undefined, env: {}, overrides: { 'torrent.dir': '/tmp/x', ...overrides } })

t.test('live keys apply, the rest keeps its running value and is reported', async (t) => {
  const running = base({ 'logging.level': 'info', 'torrent.max_disk_usage': 100, 'torrent.shards': 2, 'server.port': 8080 })
  const next = base({ 'logging.level': 'debug', 'torrent.max_disk_usage': 200, 'torrent.shards': 4, 'server.port': 9090 })
  const plan = planReload(running, next)
  t.same(plan.applied.sort(), ['logging.level', 'torrent.max_disk_usage'])
  t.same(plan.needsRestart.sort(), ['server.port', 'torrent.shards'])
  t.equal(plan.config.logging.level, 'debug')
  t.equal(plan.config.torrent.max_disk_usage, 200)
  t.equal(plan.config.torrent.shards, 2, 'kept')
  t.equal(plan.config.server.port, 8080, 'kept')
  t.ok(Object.isFrozen(plan.config.torrent))
})

t.test('nothing changed: nothing to apply', async (t) => {
  const c = base({})
  t.same(planReload(c, base({})), { config: c, applied: [], needsRestart: [] })
})

t.test('what is live comes from the schema', async (t) => {
  t.equal(LIVE.get('torrent.download_rate_limit'), 'supervisor')
  t.equal(LIVE.get('security.api_tokens'), 'frontends')
  t.equal(LIVE.get('logging.level'), 'everywhere')
  t.equal(LIVE.get('torrent.shards'), 'restart')
  t.ok(LIVE_KEYS.has('streaming.sendfile'))
  t.notOk(LIVE_KEYS.has('torrent.max_files'))
  const plan = planReload(base({}), base({ 'torrent.max_files': 5, 'security.max_torrents': 3 }))
  t.same([plan.applied, plan.needsRestart], [['security.max_torrents'], ['torrent.max_files']])
})
