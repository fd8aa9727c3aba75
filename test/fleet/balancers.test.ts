// Two real nodes behind the shipped nginx and HAProxy examples (packaging/fleet/), routing by
// info-hash: each torrent lands on one node whatever form names it, uploads reach their owner,
// URLs handed out point at the balancer, and a node's loss and return move only its torrents.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { selfSignedCertificate, startHaproxy, startNginx, startNode, tempDir } from '../helpers/fleet.js'
import type { Balancer, BalancerOptions, FleetNode } from '../helpers/fleet.js'
import { makeRandomFile } from '../helpers/media.js'
import { freePort } from '../helpers/net.js'
import { startSeeder } from '../helpers/seeder.js'
import type { Seeder } from '../helpers/seeder.js'

const TOKEN = 'fleet-test-token'
const AUTH = { Authorization: `Bearer ${TOKEN}` }
const work = tempDir('lb')
const cert = selfSignedCertificate(path.join(work, 'tls'))
const seeders: Seeder[] = []
const sources = new Map<string, Buffer>()
for (let i = 0; i < 5; i++) {
  const file = await makeRandomFile(work, `movie-${i}.mp4`, 600_000 + i * 1000)
  const s = await startSeeder(file, { pieceLength: 64 * 1024 })
  seeders.push(s)
  sources.set(s.infoHash, fs.readFileSync(file))
}
const uploadFile = await makeRandomFile(work, 'upload.mp4', 500_000)
const uploaded = await startSeeder(uploadFile, { pieceLength: 64 * 1024 })
sources.set(uploaded.infoHash, fs.readFileSync(uploadFile))
t.teardown(async () => {
  for (const s of [...seeders, uploaded]) await s.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

const RANGE = [100_000, 399_999] as const

/** GET with a range; checks the bytes against the seeded file; resolves the node that served it. */
async function rangeVia (t: Tap.Test, url: string, infoHash: string, headers: Record<string, string> = AUTH): Promise<{ node: string, redirected: boolean }> {
  const res = await fetch(url, { headers: { ...headers, Range: `bytes=${RANGE[0]}-${RANGE[1]}` } })
  const body = Buffer.from(await res.arrayBuffer())
  t.equal(res.status, 206, `206 from ${url.slice(0, 80)}`)
  t.ok(body.equals(sources.get(infoHash)!.subarray(RANGE[0], RANGE[1] + 1)), 'bytes identical to the seeded file')
  return { node: res.headers.get('x-tod-node') ?? '', redirected: res.redirected }
}

async function listed (node: FleetNode): Promise<Set<string>> {
  const res = await fetch(`${node.base}/torrents`, { headers: AUTH })
  const body = await res.json() as { torrents: Array<{ infoHash: string }> }
  return new Set(body.torrents.map((x) => x.infoHash))
}

const magnetUrl = (lb: Balancer, magnet: string): string => `${lb.base}/stream?magnet=${encodeURIComponent(magnet)}`

/** RFC 4648 base32 of a hex info-hash, as some magnets carry it. */
function base32 (hex: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'
  let bits = ''
  for (const c of hex) bits += parseInt(c, 16).toString(2).padStart(4, '0')
  let out = ''
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)]
  return out
}

type Start = (opts: BalancerOptions) => Promise<Balancer>
for (const [kind, start] of [['nginx', startNginx], ['haproxy', startHaproxy]] as Array<[string, Start]>) {
  t.test(`two nodes behind ${kind}`, async (t) => {
    const started = Date.now()
    const [portA, portB, lbPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const lbBase = `http://127.0.0.1:${lbPort}`
    const env = {
      TOD_P2M_SERVER_PUBLIC_URL: lbBase,
      TOD_P2M_SERVER_HASH_ROUTING: 'true',
      TOD_P2M_SERVER_TRUST_PROXY: '127.0.0.1',
      TOD_P2M_SECURITY_API_TOKENS: TOKEN,
      TOD_P2M_SECURITY_URL_SIGNING_KEY: 'one key for the whole fleet'
    }
    const specs = [{ name: `${kind}-a`, port: portA, dir: path.join(work, `${kind}-a`), env }, { name: `${kind}-b`, port: portB, dir: path.join(work, `${kind}-b`), env }]
    const nodes = new Map<string, FleetNode>()
    for (const s of specs) nodes.set(s.name, await startNode(s))
    const lb = await start({ nodes: [portA, portB], port: lbPort, tlsPort, cert, prefix: path.join(work, kind) })
    t.teardown(async () => {
      await lb.stop()
      await Promise.all([...nodes.values()].map(async (n) => await n.stop()))
    })
    const owner = new Map<string, string>()

    t.test('routing is by info-hash: every route shape of one info-hash reaches one node, and both nodes get some', async (t) => {
      const seen = new Set<string>()
      for (let i = 0; i < 24; i++) {
        const ih = crypto.randomBytes(20).toString('hex')
        const shapes = [`/torrent/${ih}`, `/stream/${ih}/0/x.mkv`, `/document/${ih}/0`, `/image/${ih}/1`, `/hls/${ih}/0/playlist.m3u8`,
          `/subtitles/${ih}/0.vtt`, `/playlist/${ih}.m3u`, `/torrents?ih=${ih}`]
        const on = new Set<string>()
        for (const shape of shapes) {
          const res = await fetch(`${lb.base}${shape}`, { headers: AUTH })
          await res.arrayBuffer()
          on.add(res.headers.get('x-tod-node') ?? 'none')
        }
        if (on.size !== 1) t.fail(`${ih}: ${[...on].join(', ')}`)
        for (const n of on) seen.add(n)
      }
      t.same([...seen].sort(), [...nodes.keys()].sort(), '24 random info-hashes spread over both nodes')
      const spread = new Set<string>()
      for (let i = 0; i < 16; i++) {
        const res = await fetch(`${lb.base}/health`)
        await res.arrayBuffer()
        spread.add(res.headers.get('x-tod-node') ?? 'none')
      }
      t.same([...spread].sort(), [...nodes.keys()].sort(), 'requests without an info-hash reach both nodes')
    })

    t.test('each torrent streams through the balancer and is added on exactly one node', async (t) => {
      for (const s of seeders) owner.set(s.infoHash, (await rangeVia(t, magnetUrl(lb, s.magnet), s.infoHash)).node)
      const lists = new Map<string, Set<string>>()
      for (const [name, n] of nodes) lists.set(name, await listed(n))
      for (const s of seeders) {
        const on = [...lists].filter(([, set]) => set.has(s.infoHash)).map(([name]) => name)
        t.same(on, [owner.get(s.infoHash)], `${s.infoHash.slice(0, 8)} only on ${owner.get(s.infoHash)}`)
      }
      t.comment(`placement: ${[...owner.values()].join(' ')}`)
      // The same torrent by its file route, its document and a second read: the same node.
      const s0 = seeders[0]!
      t.equal((await rangeVia(t, `${lb.base}/stream/${s0.infoHash}/0`, s0.infoHash)).node, owner.get(s0.infoHash))
      const doc = await fetch(`${lb.base}/torrent/${s0.infoHash}`, { headers: AUTH })
      t.equal(doc.headers.get('x-tod-node'), owner.get(s0.infoHash))
      const body = await doc.json() as { files: Array<{ streamUrl: string }> }
      t.match(body.files[0]?.streamUrl, new RegExp(`^${lbBase}/stream/${s0.infoHash}/0/`), 'document URLs point at the balancer')
    })

    t.test('a base32 magnet and an upper-case info-hash are redirected to their owner', async (t) => {
      const s = seeders[1]!
      const b32 = s.magnet.replace(s.infoHash, base32(s.infoHash))
      t.not(b32, s.magnet)
      const via = await rangeVia(t, magnetUrl(lb, b32), s.infoHash)
      t.equal(via.node, owner.get(s.infoHash), 'served by the owner')
      t.ok(via.redirected, 'through a 307 to the hex form')
      const upper = await fetch(`${lb.base}/torrent/${s.infoHash.toUpperCase()}`, { headers: AUTH })
      t.equal(upper.status, 200)
      t.equal(upper.headers.get('x-tod-node'), owner.get(s.infoHash))
      await upper.arrayBuffer()
      const on = []
      for (const [name, n] of nodes) if ((await listed(n)).has(s.infoHash)) on.push(name)
      t.same(on, [owner.get(s.infoHash)], 'still on one node')
    })

    t.test('a .torrent upload through the balancer lands on its owner', async (t) => {
      // A Blob: Node 20's fetch fails to send a Buffer body again after a 307 ("detached ArrayBuffer").
      const res = await fetch(`${lb.base}/torrents`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/x-bittorrent' }, body: new Blob([uploaded.torrentFile]) })
      t.equal(res.status, 201)
      t.ok(res.redirected && res.url.includes(`ih=${uploaded.infoHash}`), `redirected to ?ih= (${res.url})`)
      const node = res.headers.get('x-tod-node') ?? ''
      await res.arrayBuffer()
      const direct = await fetch(`${lb.base}/torrent/${uploaded.infoHash}`, { headers: AUTH })
      t.equal(direct.headers.get('x-tod-node'), node, 'the node that took the upload is the one the info-hash routes to')
      await direct.arrayBuffer()
      // The magnet brings the seeder's address (the .torrent has none).
      const hint = await fetch(`${lb.base}/torrents`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'text/plain' }, body: uploaded.magnet })
      t.equal(hint.status, 200)
      t.equal(hint.headers.get('x-tod-node'), node)
      await hint.arrayBuffer()
      t.equal((await rangeVia(t, `${lb.base}/stream/${uploaded.infoHash}/0`, uploaded.infoHash)).node, node)
      const on = []
      for (const [name, n] of nodes) if ((await listed(n)).has(uploaded.infoHash)) on.push(name)
      t.same(on, [node], 'added on one node only')
      owner.set(uploaded.infoHash, node)
    })

    t.test('playlists carry signed URLs on the balancer that play without a token', async (t) => {
      const s = seeders[2]!
      const res = await fetch(`${lb.base}/playlist/${s.infoHash}.m3u`, { headers: AUTH })
      t.equal(res.status, 200)
      const urls = (await res.text()).split('\n').filter((l) => l.startsWith('http'))
      t.equal(urls.length, 1)
      t.match(urls[0], new RegExp(`^${lbBase}/stream/${s.infoHash}/0/[^?]+\\?.*sig=`))
      t.equal((await rangeVia(t, urls[0]!, s.infoHash, {})).node, owner.get(s.infoHash), 'the signed URL is good on its owner')
    })

    /** One node goes away (stopped or crashed): its torrents move to the other; it returns: they move back. */
    const loseAndReturn = async (t: Tap.Test, how: 'stop' | 'crash', probe: Seeder): Promise<void> => {
      const victimName = owner.get(probe.infoHash)!
      const victim = nodes.get(victimName)!
      const survivorName = [...nodes.keys()].find((n) => n !== victimName)!
      const mine = seeders.filter((s) => owner.get(s.infoHash) === victimName)
      const theirs = seeders.filter((s) => owner.get(s.infoHash) !== victimName)
      let t0 = Date.now()
      if (how === 'stop') t.equal(await victim.stop(), 0, `${victimName} stopped cleanly (${Date.now() - t0} ms)`)
      else await victim.kill()
      t0 = Date.now()
      for (const s of mine) {
        // The magnet route adds the torrent where it lands; the survivor fetches it from the swarm.
        const via = await rangeVia(t, magnetUrl(lb, s.magnet), s.infoHash)
        t.equal(via.node, survivorName, `${s.infoHash.slice(0, 8)} now on ${survivorName}`)
      }
      t.comment(`${how}: ${mine.length} torrent(s) served by ${survivorName} ${Date.now() - t0} ms after ${victimName} was gone`)
      for (const s of theirs) t.equal((await rangeVia(t, magnetUrl(lb, s.magnet), s.infoHash)).node, survivorName, 'its own torrents stay')

      t0 = Date.now()
      const back = await startNode(specs.find((s) => s.name === victimName)!)
      nodes.set(victimName, back)
      await waitFor(async () => {
        const res = await fetch(`${lb.base}/torrent/${probe.infoHash}`, { headers: AUTH })
        await res.arrayBuffer()
        return res.headers.get('x-tod-node') === victimName
      }, { timeoutMs: 30_000, intervalMs: 250, what: `${kind} to route to ${victimName} again` })
      t.comment(`return after ${how}: routed to ${victimName} ${Date.now() - t0} ms after its restart began`)
      for (const s of mine) t.equal((await rangeVia(t, `${lb.base}/stream/${s.infoHash}/0`, s.infoHash)).node, victimName, `${s.infoHash.slice(0, 8)} back on ${victimName} (from its own disk)`)
      for (const s of theirs) t.equal((await rangeVia(t, magnetUrl(lb, s.magnet), s.infoHash)).node, survivorName, 'the others did not move')
    }

    t.test('a node stops: its torrents are served by the other; it returns: they move back', async (t) => {
      await loseAndReturn(t, 'stop', seeders[0]!)
    })

    t.test('a node crashes (SIGKILL): the same', async (t) => {
      await loseAndReturn(t, 'crash', seeders[1]!)
    })
    t.teardown(() => { t.comment(`${kind}: ${Date.now() - started} ms`) })
  })
}
