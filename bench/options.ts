/**
 * The bench's command line, resolved once into a frozen object.
 *   npm run bench -- [--runs 3] [--cold-seeks 10] [--warm-seeks 30] [--readers 20]
 *                    [--size-mb 250] [--piece-kib 512] [--workers 2] [--shards 2]
 *                    [--only tod-p2m,peerflix,nginx] [--tod-env KEY=VALUE ...] [--out FILE]
 */
import { parseArgs } from 'node:util'
import { CONTENDERS } from './results.js'
import type { ContenderName } from './results.js'

export interface BenchOptions {
  /** Runs per contender; figures are medians over them. */
  runs: number
  /** Cold seeks per run (each on a fresh torrent); pooled over runs. */
  coldSeeks: number
  /** Warm seeks per run; pooled over runs. */
  warmSeeks: number
  /** Concurrent readers. */
  readers: number
  /** Size of the media file in bytes (approximate: the encoder lands within a few percent). */
  bytes: number
  pieceLength: number
  /** tod-p2m front-ends and shards. */
  workers: number
  shards: number
  /**
   * Extra environment for tod-p2m (`--tod-env TOD_P2M_STREAMING_BUFFER_SIZE=1048576`), to
   * measure a setting before changing its default; the report lists them.
   */
  todEnv: Readonly<Record<string, string>>
  /** Which contenders run (all by default; a subset is for profiling one of them). */
  only: readonly ContenderName[]
  /** Also write the report here. */
  out: string | undefined
  /** The command line as typed, for the report. */
  argv: readonly string[]
}

const USAGE = `usage: npm run bench -- [--runs N] [--cold-seeks N] [--warm-seeks N] [--readers N]
                       [--size-mb MB] [--piece-kib KiB] [--workers N] [--shards N]
                       [--only tod-p2m,peerflix,nginx] [--tod-env TOD_P2M_KEY=VALUE ...] [--out FILE]`

/** Thrown for --help: the usage goes to stdout and the exit code is 0. */
export class UsageRequested extends Error {}

/** Parses `argv` (without node and script); throws with the usage on a bad value. */
export function parseOptions (argv: readonly string[]): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      runs: { type: 'string', default: '3' },
      'cold-seeks': { type: 'string', default: '10' },
      'warm-seeks': { type: 'string', default: '30' },
      readers: { type: 'string', default: '20' },
      'size-mb': { type: 'string', default: '250' },
      'piece-kib': { type: 'string', default: '512' },
      workers: { type: 'string', default: '2' },
      shards: { type: 'string', default: '2' },
      only: { type: 'string', default: CONTENDERS.join(',') },
      out: { type: 'string' },
      'tod-env': { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', default: false }
    }
  })
  if (values.help === true) throw new UsageRequested(USAGE)
  const int = (name: string, v: string, min: number): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}\n${USAGE}`)
    return n
  }
  const only = values.only.split(',').map((s) => s.trim()).filter((s) => s !== '')
  for (const name of only) if (!(CONTENDERS as readonly string[]).includes(name)) throw new Error(`--only: unknown contender ${name}\n${USAGE}`)
  const pieceKiB = int('piece-kib', values['piece-kib'], 16)
  if ((pieceKiB & (pieceKiB - 1)) !== 0) throw new Error(`--piece-kib must be a power of two\n${USAGE}`)
  const todEnv: Record<string, string> = {}
  for (const pair of values['tod-env']) {
    const m = /^(TOD_P2M_[A-Z0-9_]+)=(.*)$/.exec(pair)
    if (m === null) throw new Error(`--tod-env wants TOD_P2M_KEY=VALUE, got ${pair}\n${USAGE}`)
    todEnv[m[1]!] = m[2]!
  }
  return Object.freeze({
    runs: int('runs', values.runs, 1),
    coldSeeks: int('cold-seeks', values['cold-seeks'], 0),
    warmSeeks: int('warm-seeks', values['warm-seeks'], 0),
    readers: int('readers', values.readers, 1),
    bytes: int('size-mb', values['size-mb'], 1) * 1e6,
    pieceLength: pieceKiB * 1024,
    workers: int('workers', values.workers, 1),
    shards: int('shards', values.shards, 1),
    todEnv: Object.freeze(todEnv),
    only: only as ContenderName[],
    out: values.out,
    argv: [...argv]
  })
}
