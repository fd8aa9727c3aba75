// TLS at the edge: the shipped balancer configs' TLS servers with a self-signed certificate
// made by openssl; a range streamed over HTTPS and a playlist whose URLs are https (public_url).
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Agent, fetch } from 'undici'
import { selfSignedCertificate, startHaproxy, startNginx, startNode, tempDir } from '../helpers/fleet.js'
import type { Balancer, BalancerOptions, FleetNode } from '../helpers/fleet.js'
import { makeRandomFile } from '../helpers/media.js'
import { freePort } from '../helpers/net.js'
import { startSeeder } from '../helpers/seeder.js'

const work = tempDir('tls')
const cert = selfSignedCertificate(path.join(work, 'tls'))
const file = await makeRandomFile(work, 'film.mkv', 700_000)
const source = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: 64 * 1024 })
// Trusts the test's certificate only: a wrong certificate fails the request.
const tls = new Agent({ connect: { ca: cert.cert } })
t.teardown(async () => {
  await tls.close()
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

type Start = (opts: BalancerOptions) => Promise<Balancer>
for (const [kind, start] of [['nginx', startNginx], ['haproxy', startHaproxy]] as Array<[string, Start]>) {
  t.test(`HTTPS through ${kind}`, async (t) => {
    const [portA, portB, port, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()]
    const publicUrl = `https://localhost:${tlsPort}`
    const env = { TOD_P2M_SERVER_PUBLIC_URL: publicUrl, TOD_P2M_SERVER_HASH_ROUTING: 'true', TOD_P2M_SERVER_TRUST_PROXY: '127.0.0.1' }
    const nodes: FleetNode[] = []
    t.teardown(async () => { await Promise.all(nodes.map(async (n) => await n.stop())) })
    nodes.push(await startNode({ name: `${kind}-tls-a`, port: portA, dir: path.join(work, `${kind}-a`), env }))
    nodes.push(await startNode({ name: `${kind}-tls-b`, port: portB, dir: path.join(work, `${kind}-b`), env }))
    const lb = await start({ nodes: [portA, portB], port, tlsPort, cert, prefix: path.join(work, kind) })
    t.teardown(async () => { await lb.stop() })
    t.equal(lb.tlsBase, publicUrl)

    const range = [123_456, 523_455]
    const res = await fetch(`${lb.tlsBase}/stream?magnet=${encodeURIComponent(seeder.magnet)}`, { dispatcher: tls, headers: { Range: `bytes=${range[0]}-${range[1]}` } })
    const body = Buffer.from(await res.arrayBuffer())
    t.equal(res.status, 206)
    t.ok(body.equals(source.subarray(range[0], range[1]! + 1)), 'a range over HTTPS, byte-identical')
    const node = res.headers.get('x-tod-node')
    t.ok(nodes.some((n) => n.name === node), `served by ${node}`)

    const playlist = await fetch(`${lb.tlsBase}/playlist/${seeder.infoHash}.m3u`, { dispatcher: tls })
    t.equal(playlist.status, 200)
    const urls = (await playlist.text()).split('\n').filter((l) => /^[a-z]+:/.test(l))
    t.equal(urls.length, 1)
    t.match(urls[0], new RegExp(`^${publicUrl}/stream/${seeder.infoHash}/0/film\\.mkv`), 'the playlist points at the HTTPS balancer')
    const again = await fetch(urls[0]!, { dispatcher: tls, headers: { Range: 'bytes=0-65535' } })
    t.equal(again.status, 206)
    t.ok(Buffer.from(await again.arrayBuffer()).equals(source.subarray(0, 65536)), 'the playlist URL plays over HTTPS')
    t.equal(again.headers.get('x-tod-node'), node, 'on the same node')

    // Without the CA the certificate is refused: the test would notice plain HTTP or a bad cert.
    await t.rejects(fetch(`${lb.tlsBase}/health`), 'an untrusted certificate is refused')
  })
}
