// Crash consistency: the whole daemon (supervisor with its shard threads, and every front-end)
// is killed with SIGKILL while it downloads, twenty times in a row, and restarted on the same
// torrent.dir and torrent.state_dir. After each kill every piece the state folder's bitfield
// calls verified must hash right, and what the restarted daemon serves must be the source bytes.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import type { Test } from 'tap'
import { startDaemon } from '../../helpers/daemon.js'
import type { Daemon } from '../../helpers/daemon.js'
import { makeRandomFile } from '../../helpers/media.js'
import { auditPieces, bitSet } from '../../helpers/piece-audit.js'
import { alive, killTree } from '../../helpers/proc-tree.js'
import { startSeeder } from '../../helpers/seeder.js'
import { withTimeout } from '../../helpers/async.js'

const ROUNDS = 20
const SIZE = 16 * 1024 * 1024
const PIECE = 16 * 1024
// ~300 KB/s from the only seeder: the file takes ~55 s, longer than the twenty rounds of
// downloading together, so the kills land mid-download.
const UPLOAD_LIMIT = 300 * 1024

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-crash-'))
const dir = path.join(work, 'data')
const stateDir = path.join(work, 'state')
const file = await makeRandomFile(work, 'film.bin', SIZE)
const bytes = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: PIECE, uploadLimit: UPLOAD_LIMIT })
const ih = seeder.infoHash
const magnet = encodeURIComponent(seeder.magnet)
const live = new Set<Daemon>()
t.teardown(async () => {
  for (const d of live) {
    if (d.proc.pid !== undefined) killTree(d.proc.pid)
    await d.stop()
  }
  await seeder.stop()
  fs.rmSync(work, { recursive: true, force: true })
})

const start = async (): Promise<Daemon> => {
  const d = await startDaemon({ dir, workers: 2, shards: 2, env: { TOD_P2M_TORRENT_STATE_DIR: stateDir } })
  live.add(d)
  return d
}

/** Kills the daemon's whole process tree at once and waits until none of it is left. */
const crash = async (t: Test, d: Daemon): Promise<void> => {
  const pids = killTree(d.proc.pid!)
  await withTimeout(d.stop(), 10_000, 'the killed supervisor to exit')
  for (let i = 0; i < 100 && pids.some(alive); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.notOk(pids.some(alive), `no process of the daemon is left (${pids.length} killed)`)
  live.delete(d)
}

/** Reads `[start, end]` and drops the bytes; resolves when the body ends or is cut by the crash. */
const drain = async (base: string, url: string, start: number, end: number, got: { bytes: number }): Promise<void> => {
  try {
    const res = await fetch(`${base}${url}`, { headers: { Range: `bytes=${start}-${end}` } })
    for await (const chunk of res.body ?? []) got.bytes += (chunk as Uint8Array).length
  } catch { /* cut by the kill: expected */ }
}

/** The first run of consecutive verified pieces in the persisted bitfield, as a byte range (at most 1 MB). */
const verifiedRun = (): [number, number] | undefined => {
  let bits: Uint8Array
  try {
    bits = fs.readFileSync(path.join(stateDir, 'torrents', `${ih}.bitfield`))
  } catch {
    return undefined
  }
  const pieces = Math.ceil(SIZE / PIECE)
  let first = 0
  while (first < pieces && !bitSet(bits, first)) first++
  if (first === pieces) return undefined
  let last = first
  while (last + 1 < pieces && bitSet(bits, last + 1) && (last + 2 - first) * PIECE <= 1024 * 1024) last++
  return [first * PIECE, Math.min(SIZE, (last + 1) * PIECE) - 1]
}

t.test(`${ROUNDS} SIGKILLs while downloading: the bitfield never claims a piece that is not on disk`, async (t) => {
  let claimedBefore = 0
  let midDownload = 0
  for (let round = 1; round <= ROUNDS; round++) {
    const d = await start()
    // What the last run claimed is served from disk, byte for byte, by the restarted daemon.
    const run = verifiedRun()
    if (run !== undefined) {
      const res = await fetch(`${d.base}/stream?magnet=${magnet}`, { headers: { Range: `bytes=${run[0]}-${run[1]}` } })
      t.equal(res.status, 206, `round ${round}: range of verified pieces answered`)
      t.ok(Buffer.from(await res.arrayBuffer()).equals(bytes.subarray(run[0], run[1] + 1)), `round ${round}: bytes ${run[0]}-${run[1]} identical after the restart`)
    }
    // Heavy downloading: the whole file from a random offset, and three random ranges beside it.
    const got = { bytes: 0 }
    const offsets = [0, 1, 2, 3].map(() => Math.floor(Math.random() * (SIZE - 1_000_000)))
    const reads = offsets.map((o, i) => drain(d.base, `/stream?magnet=${magnet}`, o, i === 0 ? SIZE - 1 : o + 999_999, got))
    // Killed after a random 1-3.5 s of bytes flowing: not before the first byte (that would only
    // test start-up), and often after a bitfield flush (every 2 s), sometimes right before one.
    const t0 = Date.now()
    while (got.bytes === 0 && Date.now() - t0 < 15_000) await new Promise((resolve) => setTimeout(resolve, 20))
    await new Promise((resolve) => setTimeout(resolve, 1000 + Math.random() * 2500))
    await crash(t, d)
    await withTimeout(Promise.all(reads), 10_000, 'the cut reads to end')

    const audit = await auditPieces(dir, stateDir, ih)
    t.same(audit.bad, [], `round ${round}: ${audit.verified}/${audit.pieces} pieces claimed verified, all hash right`)
    t.ok(audit.verified >= claimedBefore, `round ${round}: no verified piece was forgotten (${claimedBefore} → ${audit.verified})`)
    claimedBefore = audit.verified
    if (audit.verified < audit.pieces) midDownload++
  }
  t.ok(midDownload >= ROUNDS / 2, `${midDownload} of ${ROUNDS} kills landed mid-download`)
})

t.test('after the crashes the whole file reads back byte-identical', async (t) => {
  const d = await start()
  t.teardown(async () => { await d.stop(); live.delete(d) })
  const res = await fetch(`${d.base}/stream?magnet=${magnet}`)
  t.equal(res.status, 200)
  const body = Buffer.from(await withTimeout(res.arrayBuffer(), 90_000, 'the whole file'))
  t.equal(body.length, SIZE)
  t.ok(body.equals(bytes), 'byte-identical to the source')
  t.equal(await d.stop(), 0, 'clean stop')
  live.delete(d)
  const audit = await auditPieces(dir, stateDir, ih)
  t.equal(audit.verified, audit.pieces, 'every piece verified after the clean stop')
  t.same(audit.bad, [], 'and every one hashes right')
})
