// The SSRF guard on the real daemon: magnets and .torrents aim every URL field and peer hint at
// a listener on 127.0.0.1 (TCP for HTTP trackers, web seeds, sources and peers; UDP for UDP
// trackers). By default it must see zero connections; with
// security.allow_private_networks it must see them (the switch works both ways).
import dgram from 'node:dgram'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-ssrf-'))
const payload = await makeRandomFile(work, 'payload.bin', 100_000)

let tcpHits = 0
let udpHits = 0
const tcp = net.createServer((s) => { tcpHits++; s.destroy() })
await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
const udp = dgram.createSocket('udp4')
udp.on('message', () => { udpHits++ })
await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
const T = (tcp.address() as net.AddressInfo).port
const U = udp.address().port
t.teardown(async () => {
  tcp.close()
  udp.close()
  fs.rmSync(work, { recursive: true, force: true })
})

// Every way a magnet names a target, in several spellings of loopback.
const hosts = ['127.0.0.1', 'localhost', '2130706433', '0x7f.1', '127.1', '[::ffff:127.0.0.1]']
function hostileMagnet (i: number): string {
  const ih = (0xabc000 + i).toString(16).padStart(40, '0')
  const h = hosts[i % hosts.length]!
  const p = new URLSearchParams()
  p.append('tr', `http://${h}:${T}/announce`)
  p.append('tr', `udp://${h}:${U}/announce`)
  p.append('ws', `http://${h}:${T}/webseed/`)
  p.append('xs', `http://${h}:${T}/file.torrent`)
  p.append('as', `http://${h}:${T}/file.bin`)
  // BEP 9 peer hints are host:port, not URLs
  return `magnet:?xt=urn:btih:${ih}&${p.toString()}&x.pe=127.0.0.1:${T}&x.pe=${h.replace(/^\[|\]$/g, '')}:${T}`
}
async function hostileTorrent (): Promise<Buffer> {
  const specifier: string = 'create-torrent'
  const { default: createTorrent } = await import(specifier) as { default: (i: string, o: object, cb: (e: Error | null, b: Uint8Array) => void) => void }
  return await new Promise<Buffer>((resolve, reject) => {
    createTorrent(payload, {
      announceList: [[`http://127.0.0.1:${T}/announce`, `udp://localhost:${U}/announce`]],
      urlList: [`http://127.0.0.1:${T}/webseed/`]
    }, (err, buf) => err !== null ? reject(err) : resolve(Buffer.from(buf)))
  })
}

async function feed (base: string): Promise<void> {
  for (let i = 0; i < hosts.length; i++) {
    const res = await fetch(`${base}/torrents?wait=false`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: hostileMagnet(i) })
    if (res.status !== 202 && res.status !== 201) throw new Error(`magnet ${i}: ${res.status} ${await res.text()}`)
    await res.arrayBuffer()
  }
  const res = await fetch(`${base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'application/x-bittorrent' }, body: await hostileTorrent() })
  if (res.status !== 201) throw new Error(`.torrent: ${res.status} ${await res.text()}`)
  const doc = await res.json() as { infoHash: string }
  // A read makes the engine want pieces: web seeds would be asked now.
  void fetch(`${base}/stream/${doc.infoHash}/0`, { signal: AbortSignal.timeout(3000) }).then(async (r) => await r.arrayBuffer()).catch(() => {})
}

/** Waits `ms` and reports the hits seen in that time. */
async function hitsAfter (ms: number): Promise<{ tcp: number, udp: number }> {
  const before = { tcp: tcpHits, udp: udpHits }
  await new Promise((resolve) => setTimeout(resolve, ms))
  return { tcp: tcpHits - before.tcp, udp: udpHits - before.udp }
}

t.test('default: zero connections reach the loopback listener', async (t) => {
  const d = await startDaemon({ env: { TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: 'false' } })
  t.teardown(async () => { await d.stop() })
  const before = { tcp: tcpHits, udp: udpHits }
  await feed(d.base)
  await hitsAfter(4000)
  t.equal(tcpHits - before.tcp, 0, 'no TCP connection (HTTP trackers, web seeds, xs/as, peers)')
  t.equal(udpHits - before.udp, 0, 'no UDP datagram (UDP trackers)')
  t.ok(d.logs.some((l) => l.message === 'torrent target dropped'), 'the drops are logged')
  t.equal((await fetch(`${d.base}/health`)).status, 200)
})

t.test('allow_private_networks: the same inputs do reach it', async (t) => {
  const d = await startDaemon({ env: { TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: 'true' } })
  t.teardown(async () => { await d.stop() })
  const before = { tcp: tcpHits, udp: udpHits }
  await feed(d.base)
  const end = Date.now() + 10_000
  while ((tcpHits === before.tcp || udpHits === before.udp) && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 100))
  t.ok(tcpHits > before.tcp, `TCP connections: ${tcpHits - before.tcp}`)
  t.ok(udpHits > before.udp, `UDP datagrams: ${udpHits - before.udp}`)
})
