/**
 * The figures one run produces per contender. Scalars are one number per run (the report
 * takes their median over runs); samples are many numbers per run (the report pools them
 * over runs and takes median and p90).
 */

/** The three servers compared. */
export type ContenderName = 'tod-p2m' | 'peerflix' | 'nginx'
export const CONTENDERS: readonly ContenderName[] = ['tod-p2m', 'peerflix', 'nginx']

/** One number per run. */
export type ScalarId =
  | 'coldFirstByteMs' | 'coldMBps' | 'cpuPerGB' | 'warmMBps'
  | 'readersColdMBps' | 'readersWarmMBps' | 'segmentedColdMBps' | 'segmentedWarmMBps'
  | 'peakRssMB' | 'peakPssMB'

/** Many numbers per run. */
export type SampleId =
  | 'metadataMs' | 'coldSeekFirstMs' | 'coldSeekCompleteMs' | 'warmSeekFirstMs' | 'warmSeekCompleteMs'

/** What one contender measured in one run. */
export interface RunResult {
  scalars: Partial<Record<ScalarId, number>>
  samples: Partial<Record<SampleId, number[]>>
}

/** Every run of every contender, in run order. */
export type Results = Record<ContenderName, RunResult[]>

/** An empty result to fill. */
export function emptyRun (): RunResult {
  return { scalars: {}, samples: {} }
}

/** Appends samples to `run.samples[id]`. */
export function addSamples (run: RunResult, id: SampleId, xs: readonly number[]): void {
  (run.samples[id] ??= []).push(...xs)
}
