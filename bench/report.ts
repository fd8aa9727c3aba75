/**
 * The markdown report: one row per measure, the median of each contender, the ratios
 * tod-p2m / peerflix and tod-p2m / nginx, and issue 6's targets marked met or missed with
 * the margin. Per-run scalars are reduced by their median over runs; per-request samples
 * (metadata, seeks) are pooled over runs for median and p90.
 */
import { median, percentile } from './stats.js'
import type { ContenderName, Results, SampleId, ScalarId } from './results.js'

type Stat = { scalar: ScalarId } | { sample: SampleId, q: 'median' | 'p90' }

/** A target of issue 6: tod-p2m's ratio to a contender, or tod-p2m's own figure. */
interface Target {
  vs: 'peerflix' | 'nginx' | 'absolute'
  op: '>=' | '<='
  value: number
}

interface Row {
  label: string
  unit: string
  stat: Stat
  digits: number
  target?: Target
}

const ROWS: readonly Row[] = [
  { label: 'time to metadata, median', unit: 's', stat: { sample: 'metadataMs', q: 'median' }, digits: 3, target: { vs: 'absolute', op: '<=', value: 0.3 } },
  { label: 'time to metadata, p90', unit: 's', stat: { sample: 'metadataMs', q: 'p90' }, digits: 3 },
  { label: 'cold read from 0: first byte', unit: 'ms', stat: { scalar: 'coldFirstByteMs' }, digits: 1 },
  { label: 'cold sequential (whole file)', unit: 'MB/s', stat: { scalar: 'coldMBps' }, digits: 1, target: { vs: 'peerflix', op: '>=', value: 1.0 } },
  { label: 'CPU per cold GB (server, all processes)', unit: 'CPU-s/GB', stat: { scalar: 'cpuPerGB' }, digits: 2, target: { vs: 'peerflix', op: '<=', value: 1.0 } },
  { label: 'warm sequential (second read)', unit: 'MB/s', stat: { scalar: 'warmMBps' }, digits: 0, target: { vs: 'nginx', op: '>=', value: 0.5 } },
  { label: 'cold seek: first byte, median', unit: 'ms', stat: { sample: 'coldSeekFirstMs', q: 'median' }, digits: 1, target: { vs: 'peerflix', op: '<=', value: 1.0 } },
  { label: 'cold seek: first byte, p90', unit: 'ms', stat: { sample: 'coldSeekFirstMs', q: 'p90' }, digits: 1, target: { vs: 'absolute', op: '<=', value: 50 } },
  { label: 'cold seek: 1 MiB complete, median', unit: 'ms', stat: { sample: 'coldSeekCompleteMs', q: 'median' }, digits: 1 },
  { label: 'cold seek: 1 MiB complete, p90', unit: 'ms', stat: { sample: 'coldSeekCompleteMs', q: 'p90' }, digits: 1 },
  { label: 'warm seek: first byte, median', unit: 'ms', stat: { sample: 'warmSeekFirstMs', q: 'median' }, digits: 2 },
  { label: 'warm seek: first byte, p90', unit: 'ms', stat: { sample: 'warmSeekFirstMs', q: 'p90' }, digits: 2 },
  { label: 'warm seek: 1 MiB complete, median', unit: 'ms', stat: { sample: 'warmSeekCompleteMs', q: 'median' }, digits: 2 },
  { label: 'warm seek: 1 MiB complete, p90', unit: 'ms', stat: { sample: 'warmSeekCompleteMs', q: 'p90' }, digits: 2 },
  { label: 'READERS concurrent readers, cold (aggregate)', unit: 'MB/s', stat: { scalar: 'readersColdMBps' }, digits: 1 },
  { label: 'READERS concurrent readers, warm (aggregate)', unit: 'MB/s', stat: { scalar: 'readersWarmMBps' }, digits: 0, target: { vs: 'nginx', op: '>=', value: 0.8 } },
  { label: 'segmented download (SEGMENTED), cold', unit: 'MB/s', stat: { scalar: 'segmentedColdMBps' }, digits: 1 },
  { label: 'segmented download (SEGMENTED), warm', unit: 'MB/s', stat: { scalar: 'segmentedWarmMBps' }, digits: 0 },
  { label: 'peak RSS, sum over all processes', unit: 'MB', stat: { scalar: 'peakRssMB' }, digits: 0, target: { vs: 'peerflix', op: '<=', value: 1.5 } },
  { label: 'peak PSS, sum over all processes (shared pages split)', unit: 'MB', stat: { scalar: 'peakPssMB' }, digits: 0 }
]

/** The reduced figure of one contender for one row; undefined when it has none. */
function figure (results: Results, who: ContenderName, stat: Stat): number | undefined {
  const runs = results[who]
  if ('scalar' in stat) {
    const xs = runs.map((r) => r.scalars[stat.scalar]).filter((x): x is number => x !== undefined)
    return xs.length === 0 ? undefined : median(xs)
  }
  const xs = runs.flatMap((r) => r.samples[stat.sample] ?? [])
  if (xs.length === 0) return undefined
  return stat.q === 'median' ? median(xs) : percentile(xs, 0.9)
}

/** Rows in seconds hold millisecond samples: scale for display. */
function scaled (row: Row, x: number): number {
  return row.unit === 's' ? x / 1000 : x
}

function fmt (x: number | undefined, digits: number): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits)
}

function fmtRatio (x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : `${x.toFixed(2)}×`
}

/** "met" or "missed" with by how much, for one row's target. */
function verdict (row: Row, tod: number | undefined, ratios: Record<'peerflix' | 'nginx', number | undefined>): string {
  const t = row.target
  if (t === undefined) return ''
  const got = t.vs === 'absolute' ? tod : ratios[t.vs]
  const want = t.vs === 'absolute' ? `${t.op === '<=' ? '≤' : '≥'} ${t.value} ${row.unit}` : `${t.op === '<=' ? '≤' : '≥'} ${t.value.toFixed(1)}× ${t.vs}`
  if (got === undefined || !Number.isFinite(got)) return `${want}: not measured`
  const met = t.op === '>=' ? got >= t.value : got <= t.value
  if (met) return `${want}: **met**`
  // By how much: the shortfall of a floor, or the excess over a ceiling, relative to the target.
  const pct = t.op === '>=' ? (1 - got / t.value) * 100 : (got / t.value - 1) * 100
  const shown = t.vs === 'absolute' ? `${fmt(got, row.digits)} ${row.unit}` : fmtRatio(got)
  return `${want}: **missed** (${shown}, ${pct.toFixed(0)}% ${t.op === '>=' ? 'short' : 'over'})`
}

/** What the report's header says about the run. */
export interface ReportContext {
  date: string
  command: string
  machine: string
  versions: string
  swarm: string
  method: string
  readers: number
  segmented: string
  /** Load average when the runs ended (the start's is in `machine`). */
  loadAtEnd: string
}

/** The markdown table (with its header lines) for `results`. */
export function renderReport (results: Results, ctx: ReportContext): string {
  const lines = [
    `Run ${ctx.date}.`,
    '',
    `- Machine: ${ctx.machine}.`,
    `- Software: ${ctx.versions}.`,
    `- Swarm: ${ctx.swarm}.`,
    `- Method: ${ctx.method}`,
    `- Command: \`${ctx.command}\``,
    '',
    '| measure | unit | tod-p2m | peerflix | nginx | tod-p2m / peerflix | tod-p2m / nginx | issue 6 target |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |'
  ]
  const label = (row: Row): string => row.label.replace('READERS', String(ctx.readers)).replace('SEGMENTED', ctx.segmented)
  for (const row of ROWS) {
    const get = (who: ContenderName): number | undefined => {
      const x = figure(results, who, row.stat)
      return x === undefined ? undefined : scaled(row, x)
    }
    const tod = get('tod-p2m')
    const pf = get('peerflix')
    const ng = get('nginx')
    const ratios = {
      peerflix: tod !== undefined && pf !== undefined ? tod / pf : undefined,
      nginx: tod !== undefined && ng !== undefined ? tod / ng : undefined
    }
    lines.push(`| ${label(row)} | ${row.unit} | ${fmt(tod, row.digits)} | ${fmt(pf, row.digits)} | ${fmt(ng, row.digits)} | ` +
      `${fmtRatio(ratios.peerflix)} | ${fmtRatio(ratios.nginx)} | ${verdict(row, tod, ratios)} |`)
  }
  lines.push('', `Load average when the runs ended: ${ctx.loadAtEnd}. Each run's figures (run order), to show the spread behind the medians:`, '',
    '| measure | unit | tod-p2m | peerflix | nginx |', '| --- | --- | --- | --- | --- |')
  for (const row of ROWS) {
    if (!('scalar' in row.stat)) continue
    const id = row.stat.scalar
    const runs = (who: ContenderName): string => results[who].map((r) => fmt(r.scalars[id], row.digits)).join(' / ') || '–'
    lines.push(`| ${label(row)} | ${row.unit} | ${runs('tod-p2m')} | ${runs('peerflix')} | ${runs('nginx')} |`)
  }
  return lines.join('\n') + '\n'
}
