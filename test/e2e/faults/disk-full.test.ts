// Disk full: torrent.dir is a 16 MiB tmpfs with 6 MiB taken by a filler file, and the daemon is
// asked to stream a 14 MiB file, so writes fail with ENOSPC mid-download. Clients must get a
// JSON error (before headers) or a cut response, never a 500; the daemon stays alive; no piece
// is marked verified that is not on disk; and once the filler is deleted the same range streams
// byte-identical without a restart. torrent.state_dir stays on the normal disk.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { withTimeout } from '../../helpers/async.js'
import { startDaemon } from '../../helpers/daemon.js'
import { makeRandomFile } from '../../helpers/media.js'
import { auditPieces } from '../../helpers/piece-audit.js'
import { alive } from '../../helpers/proc-tree.js'
import { startSeeder } from '../../helpers/seeder.js'
import { mountSmallFs } from '../../helpers/small-fs.js'
import type { SmallFs } from '../../helpers/small-fs.js'

const MiB = 1024 * 1024
const FS_SIZE = 16 * MiB
const FILLER = 6 * MiB
const SIZE = 14 * MiB

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-diskfull-'))
const stateDir = path.join(work, 'state')
let small: SmallFs | undefined
let mountError = ''
try {
  small = mountSmallFs(path.join(work, 'data'), FS_SIZE)
} catch (err) {
  mountError = String((err as { stderr?: Buffer }).stderr ?? err).trim()
}
t.teardown(() => {
  small?.unmount()
  fs.rmSync(work, { recursive: true, force: true })
})

if (small === undefined) {
  t.plan(0, `cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): ${mountError}`)
} else {
  const mnt = small.path
  const file = await makeRandomFile(work, 'big.bin', SIZE)
  const bytes = fs.readFileSync(file)
  const filler = path.join(mnt, 'filler.bin')
  fs.writeFileSync(filler, Buffer.alloc(FILLER, 1))
  const seeder = await startSeeder(file, { pieceLength: 64 * 1024 })
  const ih = seeder.infoHash
  const daemon = await startDaemon({
    dir: mnt,
    env: { TOD_P2M_TORRENT_STATE_DIR: stateDir, TOD_P2M_TORRENT_READ_TIMEOUT_MS: '5000' }
  })
  // Registered after the mount's: tap runs teardowns last-in first-out, so the daemon (which
  // holds files open on the tmpfs) is gone before the unmount.
  t.teardown(async () => {
    await daemon.stop()
    await seeder.stop()
  })

  /** A whole read: status, JSON error code if any, and whether the body ended short or broke. */
  const read = async (url: string, range?: [number, number]): Promise<{ status: number, code?: string, body: Buffer, cut: boolean }> => {
    const res = await fetch(`${daemon.base}${url}`, range === undefined ? {} : { headers: { Range: `bytes=${range[0]}-${range[1]}` } })
    if (res.status >= 400) {
      const doc = await res.json() as { error?: { code?: string } }
      return { status: res.status, ...(doc.error?.code !== undefined ? { code: doc.error.code } : {}), body: Buffer.alloc(0), cut: false }
    }
    const chunks: Buffer[] = []
    let cut = false
    try {
      for await (const c of res.body ?? []) chunks.push(Buffer.from(c as Uint8Array))
    } catch {
      cut = true
    }
    const body = Buffer.concat(chunks)
    return { status: res.status, body, cut: cut || body.length !== Number(res.headers.get('content-length')) }
  }

  t.test('writes fail with ENOSPC: clear errors, no crash, nothing false in the bitfield', async (t) => {
    t.ok(small.free() < SIZE, `the file (${SIZE} B) is bigger than the free space (${small.free()} B)`)
    const magnet = encodeURIComponent(seeder.magnet)
    // The whole file, and a range near its end, at the same time.
    const outcomes = await withTimeout(Promise.all([
      read(`/stream?magnet=${magnet}`),
      read(`/stream?magnet=${magnet}`, [SIZE - 2 * MiB, SIZE - 1])
    ]), 60_000, 'the reads to end')
    for (const [i, o] of outcomes.entries()) {
      t.not(o.status, 500, `read ${i}: not a 500 (${o.status}${o.code !== undefined ? ' ' + o.code : ''})`)
      if (o.status >= 400) t.match(o.code, /^TOD_ERR_/, `read ${i}: a JSON error before the headers`)
      else t.comment(`read ${i}: ${o.status}, ${o.body.length} B, ${o.cut ? 'cut' : 'complete'}`)
      // Cut or complete, every byte sent must be the source's.
      const start = i === 0 ? 0 : SIZE - 2 * MiB
      t.ok(o.body.equals(bytes.subarray(start, start + o.body.length)), `read ${i}: the ${o.body.length} bytes sent are the source's`)
    }
    t.ok(small.free() < 64 * 1024, `the filesystem really filled up (${small.free()} B free)`)
    const liveRes = await fetch(`${daemon.base}/health/live`)
    t.equal(liveRes.status, 200, '/health/live answers')
    t.ok(alive(daemon.proc.pid!), 'the supervisor is alive')
    t.notOk(daemon.logs.some((l) => /uncaught|unhandled/i.test(String(l.message))), 'no uncaught error logged')
    // Give the 2 s bitfield flush its chance, then check every claimed piece against the data.
    await new Promise((resolve) => setTimeout(resolve, 2500))
    const audit = await auditPieces(mnt, stateDir, ih)
    t.comment(`bitfield: ${audit.hasBitfield ? `${audit.verified}/${audit.pieces} pieces` : 'none saved'}`)
    const failed = daemon.logs.find((l) => l.message === 'torrent error' && l.infoHash === ih)
    t.comment(`engine log: ${JSON.stringify(failed ?? 'no torrent error')}`)
    t.same(audit.bad, [], 'every piece the bitfield calls verified hashes right on disk')
  })

  t.test('space freed: the same range streams again, byte-identical, without a restart', async (t) => {
    fs.rmSync(filler)
    t.ok(small.free() >= FILLER, `${small.free()} B free now: room for the rest of the file`)
    const again = await withTimeout(read(`/stream/${ih}/0`), 60_000, 'the read after freeing space')
    t.equal(again.status, 200, `GET /stream/${ih}/0 answers 200 (${again.status}${again.code !== undefined ? ' ' + again.code : ''})`)
    t.ok(again.body.equals(bytes), 'the whole file, byte-identical')
    const audit = await auditPieces(mnt, stateDir, ih)
    t.same(audit.bad, [], 'the bitfield still claims nothing false')
    t.equal((await fetch(`${daemon.base}/health/live`)).status, 200, 'still live')
  })

  // What a client can do meanwhile: /stream?magnet= adds the torrent again when the engine has
  // dropped it (the state folder still has its .torrent and bitfield).
  t.test('space freed: the magnet URL streams the file byte-identical', async (t) => {
    const again = await withTimeout(read(`/stream?magnet=${encodeURIComponent(seeder.magnet)}`), 60_000, 'the read by magnet')
    t.equal(again.status, 200, `answers 200 (${again.status}${again.code !== undefined ? ' ' + again.code : ''})`)
    t.ok(again.body.equals(bytes), 'the whole file, byte-identical')
    const audit = await auditPieces(mnt, stateDir, ih)
    t.same(audit.bad, [], 'the bitfield claims nothing false')
  })
}
