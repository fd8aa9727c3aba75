// Issue 14: a .torrent listing 120,000 zero-length files (a 3.5 MB upload, under the 4 MiB
// limit) was accepted and blocked its shard thread for half a minute inside WebTorrent. The file
// list is now measured before any work per file (torrent.max_files, torrent.max_path_bytes):
// a quick 400, and /health answers 200 all the while.
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'

const daemon = await startDaemon({ workers: 1, shards: 1 })
t.teardown(async () => { await daemon.stop() })

/** A minimal bencoder: enough for an info dictionary of many files. */
function bencode (v: number | string | Buffer | unknown[] | Record<string, unknown>): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`)
  if (typeof v === 'string') v = Buffer.from(v)
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${v.length}:`), v])
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map((x) => bencode(x as never)), Buffer.from('e')])
  const keys = Object.keys(v).sort()
  return Buffer.concat([Buffer.from('d'), ...keys.flatMap((k) => [bencode(k), bencode(v[k] as never)]), Buffer.from('e')])
}

function manyFiles (count: number, component = (i: number): string => `f${i}`): Buffer {
  const files = Array.from({ length: count }, (_, i) => ({ length: 0, path: [component(i)] }))
  // One real byte so the geometry is consistent: one piece hash.
  files[0]!.length = 1
  return bencode({ info: { name: 'many', 'piece length': 16384, pieces: Buffer.alloc(20), files } })
}

async function upload (body: Buffer): Promise<{ status: number, code: unknown, message: unknown }> {
  const res = await fetch(`${daemon.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'application/x-bittorrent' }, body, signal: AbortSignal.timeout(60_000) })
  const json = await res.json() as { error?: { code?: unknown, message?: unknown } }
  return { status: res.status, code: json.error?.code, message: json.error?.message }
}

t.test('120,000 files: 400 TOD_ERR_TOO_MANY_FILES at once, /health 200 throughout', async (t) => {
  const body = manyFiles(120_000)
  t.ok(body.length < 4 * 1024 * 1024, `under the upload limit (${body.length} bytes)`)
  const health: number[] = []
  const polling = { done: false }
  const poll = (async () => {
    while (!polling.done) {
      const res = await fetch(`${daemon.base}/health`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined)
      health.push(res?.status ?? 0)
      await res?.arrayBuffer()
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  const started = Date.now()
  const answer = await upload(body)
  const took = Date.now() - started
  // And the shard still answers: a request that needs it after the refusal.
  const after = await fetch(`${daemon.base}/torrents`, { signal: AbortSignal.timeout(5000) })
  polling.done = true
  await poll
  t.equal(answer.status, 400)
  t.equal(answer.code, 'TOD_ERR_TOO_MANY_FILES')
  t.match(answer.message, /120000 files/)
  t.ok(took < 5000, `answered in ${took} ms`)
  t.equal(after.status, 200, 'the shard answers afterwards')
  t.ok(health.length > 0 && health.every((s) => s === 200), `/health: ${health.join(' ')}`)
})

t.test('a file whose whole path is too long: 400 TOD_ERR_PATH_TOO_LONG, the path not echoed', async (t) => {
  const deep = Array.from({ length: 20 }, (_, i) => `${i}`.padEnd(250, 'q'))
  const body = bencode({ info: { name: 'deep', 'piece length': 16384, pieces: Buffer.alloc(20), files: [{ length: 1, path: deep }] } })
  const answer = await upload(body)
  t.equal(answer.status, 400)
  t.equal(answer.code, 'TOD_ERR_PATH_TOO_LONG')
  t.notMatch(answer.message, /qqqq/)
})
