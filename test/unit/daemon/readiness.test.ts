import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { CachedReadiness, checkWritable, readiness, shuttingDown } from '../../../src/daemon/readiness.js'
import type { DataDirs } from '../../../src/daemon/readiness.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-ready-'))
t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
const config = (data: string, state: string): DataDirs =>
  loadConfig({ env: {}, overrides: { 'torrent.dir': data, 'torrent.state_dir': state, 'torrent.shards': 2 } }).torrent
const up = [{ shard: 0, torrents: 0, streams: 0, ready: true }, { shard: 1, torrents: 3, streams: 1, ready: true }]

t.test('checkWritable: an existing folder is, a missing one is not', async (t) => {
  t.same(await checkWritable(dir), { ok: true })
  t.same(await checkWritable(path.join(dir, 'missing')), { ok: false, error: 'ENOENT' })
})

t.test('ready when every shard answers, both folders are writable, not closing', async (t) => {
  const r = await readiness(config(dir, dir), up, false)
  t.equal(r.ready, true)
  t.same(r.checks, { shards: true, config: true, running: true, disk: [{ key: 'torrent.dir', ok: true }, { key: 'torrent.state_dir', ok: true }] })
  t.same(r.shards, up)
})

t.test('each failed condition makes it not ready and says which', async (t) => {
  const down = await readiness(config(dir, dir), [up[0]!, { shard: 1, error: 'restarting' }], false)
  t.equal(down.ready, false)
  t.equal(down.checks.shards, false)
  const loading = await readiness(config(dir, dir), [up[0]!, { ...up[1]!, ready: false }], false)
  t.equal(loading.ready, false, 'a shard still loading its torrents')
  const noState = await readiness(config(dir, path.join(dir, 'gone')), up, false)
  t.equal(noState.ready, false)
  t.same(noState.checks.disk, [{ key: 'torrent.dir', ok: true }, { key: 'torrent.state_dir', ok: false, error: 'ENOENT' }])
  const closing = await readiness(config(dir, dir), up, true)
  t.equal(closing.ready, false)
  t.equal(closing.checks.running, false)
})

t.test('shuttingDown: the same report, not ready, running false', async (t) => {
  const r = shuttingDown(await readiness(config(dir, dir), up, false))
  t.equal(r.ready, false)
  t.equal(r.checks.running, false)
  t.equal(r.checks.shards, true)
})

t.test('CachedReadiness: computed at most once per max age; concurrent callers share one computation', async (t) => {
  let computed = 0
  const cache = new CachedReadiness(async () => { computed++; return await readiness(config(dir, dir), up, false) }, 200)
  const burst = await Promise.all(Array.from({ length: 50 }, async () => await cache.get()))
  t.equal(computed, 1, 'fifty concurrent requests, one computation')
  t.ok(burst.every((r) => r === burst[0]), 'all got the same report')
  await cache.get()
  t.equal(computed, 1, 'a request within the max age reuses it')
  await new Promise((resolve) => setTimeout(resolve, 250))
  await cache.get()
  t.equal(computed, 2, 'an older answer is computed again')
})

t.test('CachedReadiness: a failed computation is not cached', async (t) => {
  let calls = 0
  const cache = new CachedReadiness(async () => { if (calls++ === 0) throw new Error('boom'); return await readiness(config(dir, dir), up, false) })
  await t.rejects(cache.get(), /boom/)
  t.equal((await cache.get()).ready, true)
})

t.test('CachedReadiness: invalidate makes the next request compute afresh, not share an older computation', async (t) => {
  let computed = 0
  const cache = new CachedReadiness(async () => { computed++; return await readiness(config(dir, dir), up, false) }, 60_000)
  await cache.get()
  cache.invalidate()
  await cache.get()
  t.equal(computed, 2, 'invalidated: computed again within the max age')
  cache.invalidate()
  const older = cache.get()
  cache.invalidate()
  const newer = cache.get()
  await Promise.all([older, newer])
  t.equal(computed, 4, 'a computation begun before the change is not shared after it')
  await cache.get()
  t.equal(computed, 4, 'the newer one is kept')
})
