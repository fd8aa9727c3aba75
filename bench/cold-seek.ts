// Cold seeks: how soon the first byte of a range near the end of a 200 MB torrent arrives,
// against how long the whole file takes cold. Each seek runs on a fresh daemon (empty data
// folder), so every one is cold. Seeder: an in-process WebTorrent client on 127.0.0.1.
//   npm run build && node dist/bench/cold-seek.js [--runs 20] [--size-mb 200]
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { startDaemon } from '../test/helpers/daemon.js'
import { makeRandomFile } from '../test/helpers/media.js'
import { startSeeder } from '../test/helpers/seeder.js'

const { values } = parseArgs({ options: { runs: { type: 'string', default: '20' }, 'size-mb': { type: 'string', default: '200' } } })
const runs = Number(values.runs)
const size = Number(values['size-mb']) * 1024 * 1024
const READ = 1024 * 1024

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-bench-seek-'))
const file = await makeRandomFile(work, 'big.bin', size)
const bytes = fs.readFileSync(file)
const seeder = await startSeeder(file, { pieceLength: 512 * 1024 })
const magnet = encodeURIComponent(seeder.magnet)

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6
const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2 }
const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] as number }

async function withDaemon<T> (fn: (base: string) => Promise<T>): Promise<T> {
  const daemon = await startDaemon({ workers: 2, shards: 2 })
  try {
    return await fn(daemon.base)
  } finally {
    await daemon.stop()
  }
}

// Whole file, cold.
const full = await withDaemon(async (base) => {
  const head = await fetch(`${base}/stream?magnet=${magnet}`, { method: 'HEAD' })
  if (head.status !== 200) throw new Error(`HEAD ${head.status}`)
  const t0 = process.hrtime.bigint()
  const res = await fetch(`${base}/stream?magnet=${magnet}`)
  const body = Buffer.from(await res.arrayBuffer())
  if (!body.equals(bytes)) throw new Error('full read differs from the source')
  return ms(t0)
})

const metadata: number[] = []
const firstByte: number[] = []
const complete: number[] = []
for (let i = 0; i < runs; i++) {
  await withDaemon(async (base) => {
    let t0 = process.hrtime.bigint()
    const head = await fetch(`${base}/stream?magnet=${magnet}`, { method: 'HEAD' })
    if (head.status !== 200) throw new Error(`HEAD ${head.status}`)
    metadata.push(ms(t0))
    const a = Math.floor(size * 0.9) + crypto.randomInt(Math.floor(size * 0.1) - READ)
    t0 = process.hrtime.bigint()
    const res = await fetch(`${base}/stream/${seeder.infoHash}/0`, { headers: { Range: `bytes=${a}-${a + READ - 1}` } })
    const reader = res.body!.getReader()
    const chunks: Uint8Array[] = []
    let chunk = await reader.read()
    firstByte.push(ms(t0))
    while (chunk.done !== true) {
      chunks.push(chunk.value)
      chunk = await reader.read()
    }
    complete.push(ms(t0))
    if (!Buffer.concat(chunks).equals(bytes.subarray(a, a + READ))) throw new Error(`range at ${a} differs from the source`)
  })
}

await seeder.stop()
fs.rmSync(work, { recursive: true, force: true })

const f = (x: number): string => x.toFixed(1)
process.stdout.write([
  `Cold seeks into the last 10% of a ${values['size-mb']} MB torrent (512 KiB pieces), ${runs} runs, each on a fresh daemon (2 front-ends, 2 shards), 1 MiB reads:`,
  '',
  '| measure | median ms | p90 ms |',
  '| --- | --- | --- |',
  `| time to metadata (magnet to HEAD answer) | ${f(median(metadata))} | ${f(pct(metadata, 0.9))} |`,
  `| seek: first byte | ${f(median(firstByte))} | ${f(pct(firstByte, 0.9))} |`,
  `| seek: 1 MiB complete | ${f(median(complete))} | ${f(pct(complete, 0.9))} |`,
  `| whole file, cold, for comparison (1 run) | ${f(full)} | |`,
  ''
].join('\n') + '\n')
