// Incoming BitTorrent connections on the real daemon: WebTorrent checks its blocklist only for
// peers it dials, so the shard closes incoming connections from non-public addresses itself
// (src/workers/peer-guard.ts) unless security.allow_private_networks. The test peer is a raw
// TCP socket on 127.0.0.1 sending a plaintext handshake for a torrent the daemon has.
import crypto from 'node:crypto'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { withTimeout } from '../helpers/async.js'
import { startDaemon } from '../helpers/daemon.js'
import { makeRandomFile } from '../helpers/media.js'
import { freePort, LOOPBACK } from '../helpers/net.js'
import { createTorrentFile, parseTorrentFile } from '../helpers/webtorrent.js'

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-incoming-'))
t.teardown(() => { fs.rmSync(work, { recursive: true, force: true }) })
const torrentFile = await createTorrentFile(await makeRandomFile(work, 'payload.bin', 100_000))
const { infoHash } = await parseTorrentFile(torrentFile)

/** Sends a handshake for `infoHash` to 127.0.0.1:`port`; answers the bytes received before the close. */
async function handshake (port: number): Promise<number> {
  const conn = net.connect(port, LOOPBACK)
  let received = 0
  conn.on('data', (b: Buffer) => {
    received += b.length
    conn.destroy()
  })
  conn.on('error', () => {})
  conn.on('connect', () => {
    conn.write(Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), Buffer.from(infoHash, 'hex'), crypto.randomBytes(20)]))
  })
  await withTimeout(new Promise((resolve) => conn.on('close', resolve)), 10_000, 'the peer connection closes')
  return received
}

for (const allow of [false, true]) {
  t.test(`allow_private_networks=${allow}`, async (t) => {
    const port = await freePort()
    const d = await startDaemon({
      shards: 1,
      // One front-end: the test is about the shard, and a stop never waits for a second one still starting.
      workers: 1,
      env: { TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: String(allow), TOD_P2M_TORRENT_PORT: String(port), TOD_P2M_TORRENT_ENCRYPTION: 'off' }
    })
    t.teardown(async () => { await d.stop() })
    const res = await fetch(`${d.base}/torrents`, { method: 'POST', headers: { 'Content-Type': 'application/x-bittorrent' }, body: torrentFile })
    t.equal(res.status, 201, 'the torrent is there')
    await res.arrayBuffer()
    const received = await handshake(port)
    if (allow) t.ok(received > 0, 'allowed: the shard answers the handshake (the test can tell)')
    else t.equal(received, 0, 'refused: closed without a handshake reply')
  })
}
