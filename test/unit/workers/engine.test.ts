// A real Engine (one WebTorrent client on loopback, DHT/LSD/NAT off) driven through its tasks.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../../src/config/config.js'
import { createLogger } from '../../../src/log.js'
import { Engine } from '../../../src/workers/engine.js'
import { withTimeout } from '../../helpers/async.js'
import { makeRandomFile } from '../../helpers/media.js'
import { freePort, LOOPBACK } from '../../helpers/net.js'
import { createTorrentFile, parseTorrentFile } from '../../helpers/webtorrent.js'

async function startEngine (t: Tap.Test, overrides: Record<string, unknown> = {}, dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-engine-'))): Promise<{ engine: Engine, dir: string }> {
  const config = loadConfig({
    env: {},
    overrides: {
      'torrent.dir': dir,
      'torrent.shards': 1,
      'torrent.dht': false,
      'torrent.lsd': false,
      'torrent.nat_traversal': false,
      'torrent.metadata_timeout_ms': 500,
      'logging.level': 'error',
      ...overrides
    }
  })
  const engine = new Engine(config, 0, createLogger(config.logging, 'shard', { shard: 0 }))
  await engine.start()
  t.teardown(async () => { await engine.handle({ type: 'close' }) })
  return { engine, dir }
}

const randomHash = (): string => crypto.randomBytes(20).toString('hex')

t.test('a magnet naming another info-hash than the task is refused and leaves nothing', async (t) => {
  const { engine } = await startEngine(t)
  const out = await engine.handle({ type: 'add', infoHash: randomHash(), magnet: `magnet:?xt=urn:btih:${randomHash()}`, wait: false })
  t.same(out, { ok: false, error: { code: 'TOD_ERR_BAD_MAGNET', message: 'the magnet link is not valid: it names another torrent than the one asked for' } })
  t.same(await engine.handle({ type: 'list' }), { ok: true, value: [] })
})

t.test('an unknown magnet whose metadata times out leaves no nameless torrent behind', async (t) => {
  const { engine } = await startEngine(t, { 'security.allow_private_networks': true })
  const ih = randomHash()
  const out = await engine.handle({ type: 'add', infoHash: ih, magnet: `magnet:?xt=urn:btih:${ih}`, wait: true })
  t.match(out, { ok: false, error: { code: 'TOD_ERR_METADATA_TIMEOUT' } })
  t.same(await engine.handle({ type: 'list' }), { ok: true, value: [] })
})

t.test('a magnet left with only private targets says so', async (t) => {
  const { engine } = await startEngine(t, { 'security.allow_private_networks': false })
  const ih = randomHash()
  const magnet = `magnet:?xt=urn:btih:${ih}&tr=http%3A%2F%2F127.0.0.1%3A9%2Fannounce&x.pe=127.0.0.1:9&x.pe=[::1]:9`
  const atOnce = await engine.handle({ type: 'add', infoHash: ih, magnet, wait: true })
  t.match(atOnce, { ok: false, error: { code: 'TOD_ERR_PRIVATE_NETWORK', message: /allow_private_networks/ } }, 'DHT off: at once')
  t.match(await engine.handle({ type: 'add', infoHash: ih, magnet, wait: false }), { ok: true, value: { created: true } }, 'without wait it is still added')
  t.match(await engine.handle({ type: 'add', infoHash: ih, magnet, wait: true }), { ok: false, error: { code: 'TOD_ERR_PRIVATE_NETWORK' } }, 'and its metadata timeout says why')
})

t.test('a persisted torrent that is not the one named is dropped with its state', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-engine-'))
  const file = await makeRandomFile(dir, 'payload.bin', 50_000)
  const torrentFile = await createTorrentFile(file)
  const named = randomHash()
  const stateDir = path.join(dir, '.tod-p2m-state', 'torrents')
  fs.mkdirSync(stateDir, { recursive: true })
  fs.writeFileSync(path.join(stateDir, `${named}.torrent`), torrentFile)
  fs.writeFileSync(path.join(stateDir, `${named}.json`), JSON.stringify({ name: 'x', size: 1, peers: [], addedAt: 1, lastAccess: 1 }))
  fs.mkdirSync(path.join(dir, named))
  const { engine } = await startEngine(t, {}, dir)
  t.match(await engine.handle({ type: 'list' }), { ok: true, value: [{ infoHash: named, state: 'idle' }] })
  t.match(await engine.handle({ type: 'info', infoHash: named }), { ok: false, error: { code: 'TOD_ERR_BAD_TORRENT' } })
  const gone = async (): Promise<void> => {
    while (fs.readdirSync(stateDir).length > 0 || fs.existsSync(path.join(dir, named))) await new Promise((resolve) => setImmediate(resolve))
  }
  await withTimeout(gone(), 5000, 'state files and data folder removed')
  t.same(await engine.handle({ type: 'list' }), { ok: true, value: [] })
})

/** Connects to the engine's peer port, sends a BitTorrent handshake for `infoHash`, and answers the bytes received before the close. */
async function handshake (port: number, infoHash: string): Promise<number> {
  const conn = net.connect(port, LOOPBACK)
  let received = 0
  conn.on('data', (b: Buffer) => {
    received += b.length
    conn.destroy()
  })
  conn.on('connect', () => {
    conn.write(Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), crypto.randomBytes(20)]))
  })
  await withTimeout(new Promise((resolve) => conn.on('close', resolve)), 5000, 'the peer connection closes')
  return received
}

t.test('incoming peers from private addresses are closed unless allow_private_networks', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-engine-'))
  const torrentFile = await createTorrentFile(await makeRandomFile(dir, 'payload.bin', 50_000))
  const { infoHash } = await parseTorrentFile(torrentFile)
  for (const allow of [true, false]) {
    const port = await freePort()
    const { engine } = await startEngine(t, { 'security.allow_private_networks': allow, 'torrent.port': port, 'torrent.encryption': 'off' }, fs.mkdtempSync(path.join(os.tmpdir(), 'tod-engine-')))
    t.match(await engine.handle({ type: 'add', infoHash, torrentFile: torrentFile.toString('base64'), wait: true }), { ok: true })
    const received = await handshake(port, infoHash)
    if (allow) t.ok(received > 0, 'allowed: the engine answers the handshake')
    else t.equal(received, 0, 'refused: closed without a reply')
    await engine.handle({ type: 'close' })
  }
})
