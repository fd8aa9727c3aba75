/**
 * One run of one contender: the sequence of measures, in an order that keeps each cold
 * measure cold (a fresh torrent before it) and runs the warm ones on a file already read
 * once. The seek positions are drawn once per run and shared by all contenders, so their
 * figures pair up.
 */
import type { SwarmContender } from './contender.js'
import { SEEK_BYTES, coldSequential, readers, seek, segmented, sequential } from './measure.js'
import { addSamples, emptyRun } from './results.js'
import type { RunResult } from './results.js'
import type { SegmentedTool } from './segmented.js'
import type { Swarm } from './swarm.js'

/** What every contender does in one run. */
export interface RunPlan {
  /** Offsets of the cold seeks: one fresh torrent (empty data folder) per seek. */
  coldSeeks: readonly number[]
  /** Offsets of the warm seeks, one after the other on the complete file. */
  warmSeeks: readonly number[]
  /** Concurrent whole-file readers. */
  readers: number
  segmentedTool: SegmentedTool
  /** A folder for downloaded files (tmpfs where there is one). */
  scratch: string
}

/** Shared by every measure of a run. */
export interface RunContext {
  swarm: Swarm
  plan: RunPlan
  log: (line: string) => void
}

const MB = 1e6

/** Draws `n` seek offsets uniformly from [lo, size - 1 MiB]. */
export function seekPositions (n: number, size: number, lo = 0): number[] {
  const span = Math.max(1, size - SEEK_BYTES - lo)
  return Array.from({ length: n }, () => lo + Math.floor(Math.random() * span))
}

/**
 * tod-p2m or peerflix: (1) a fresh torrent read whole from byte 0 (first byte, cold MB/s,
 * CPU), then the warm measures on that same, now complete, copy; (2) a fresh torrent read
 * by N readers at once; (3) a fresh torrent fetched by a segmented download; (4) one fresh
 * torrent per cold seek. Every fresh torrent adds a time-to-metadata sample.
 */
export async function runSwarmContender (c: SwarmContender, ctx: RunContext): Promise<RunResult> {
  const { swarm, plan, log } = ctx
  const run = emptyRun()
  const fresh = async (): Promise<{ url: string, pid: number }> => {
    const f = await c.fresh()
    addSamples(run, 'metadataMs', [f.metadataMs])
    return f
  }
  await c.begin()
  try {
    const main = await fresh()
    const cold = await coldSequential(main.url, main.pid, swarm)
    run.scalars.coldFirstByteMs = cold.firstByteMs
    run.scalars.coldMBps = cold.mbps
    run.scalars.cpuPerGB = cold.cpuPerGB
    log(`${c.name}: metadata ${run.samples.metadataMs?.[0]?.toFixed(0)} ms, cold first byte ${cold.firstByteMs.toFixed(1)} ms, cold ${cold.mbps.toFixed(1)} MB/s, ${cold.cpuPerGB.toFixed(2)} CPU-s/GB`)
    await warmMeasures(c.name, run, main.url, ctx)

    run.scalars.readersColdMBps = await readers((await fresh()).url, plan.readers, swarm.size)
    log(`${c.name}: ${plan.readers} readers cold ${run.scalars.readersColdMBps.toFixed(1)} MB/s`)
    run.scalars.segmentedColdMBps = await segmented(plan.segmentedTool, (await fresh()).url, swarm, plan.scratch, true)
    log(`${c.name}: segmented cold ${run.scalars.segmentedColdMBps.toFixed(1)} MB/s`)

    for (const pos of plan.coldSeeks) {
      const s = await seek((await fresh()).url, pos, swarm)
      addSamples(run, 'coldSeekFirstMs', [s.firstByteMs])
      addSamples(run, 'coldSeekCompleteMs', [s.completeMs])
    }
    log(`${c.name}: ${plan.coldSeeks.length} cold seeks, first bytes ${(run.samples.coldSeekFirstMs ?? []).map((x) => x.toFixed(0)).join(' ')} ms`)
  } finally {
    const peak = await c.end()
    run.scalars.peakRssMB = peak.rss / MB
    run.scalars.peakPssMB = peak.pss / MB
  }
  log(`${c.name}: peak RSS ${run.scalars.peakRssMB.toFixed(0)} MB (PSS ${run.scalars.peakPssMB.toFixed(0)} MB)`)
  return run
}

/** nginx: the warm measures only (it serves the complete file from the page cache). */
export async function runWarmServer (name: string, url: string, ctx: RunContext): Promise<RunResult> {
  const run = emptyRun()
  await warmMeasures(name, run, url, ctx)
  return run
}

/** Warm sequential, warm seeks, N warm readers, warm segmented download. */
async function warmMeasures (name: string, run: RunResult, url: string, ctx: RunContext): Promise<void> {
  const { swarm, plan, log } = ctx
  run.scalars.warmMBps = await sequential(url, swarm.size)
  for (const pos of plan.warmSeeks) {
    const s = await seek(url, pos, swarm)
    addSamples(run, 'warmSeekFirstMs', [s.firstByteMs])
    addSamples(run, 'warmSeekCompleteMs', [s.completeMs])
  }
  run.scalars.readersWarmMBps = await readers(url, plan.readers, swarm.size)
  run.scalars.segmentedWarmMBps = await segmented(plan.segmentedTool, url, swarm, plan.scratch, false)
  log(`${name}: warm ${run.scalars.warmMBps.toFixed(0)} MB/s, ${plan.readers} readers warm ${run.scalars.readersWarmMBps.toFixed(0)} MB/s, segmented warm ${run.scalars.segmentedWarmMBps.toFixed(0)} MB/s`)
}
