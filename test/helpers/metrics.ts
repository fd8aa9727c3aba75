/**
 * Reading a Prometheus text exposition in tests.
 */

/** One sample line: `name{labels} value`. */
export interface Sample { name: string, labels: Record<string, string>, value: number }

/** A parsed scrape: its samples and each family's `# TYPE`. */
export interface Scrape { text: string, samples: Sample[], types: Map<string, string> }

/** Parses the text format (no timestamps, as prom-client writes it). */
export function parseMetrics (text: string): Scrape {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) types.set(type[1] as string, type[2] as string)
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`not a sample line: ${line}`)
    const labels: Record<string, string> = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] as string] = l[2] as string
    const raw = m[3] as string
    samples.push({ name: m[1] as string, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) })
  }
  return { text, samples, types }
}

/** The sum of the samples named `name` whose labels include `labels` (0 when none). */
export function total (scrape: Scrape, name: string, labels: Record<string, string> = {}): number {
  return scrape.samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0)
}

/** The samples named `name`. */
export function series (scrape: Scrape, name: string): Sample[] {
  return scrape.samples.filter((s) => s.name === name)
}
