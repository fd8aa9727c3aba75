/**
 * Order statistics for benchmark samples. The machine is shared and noisy, so the bench
 * reports medians and p90s, never means: one stalled run must not move the headline figure.
 */

/** The median of `xs` (mean of the two middle values for an even count); NaN when empty. */
export function median (xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? s[m] as number : ((s[m - 1] as number) + (s[m] as number)) / 2
}

/**
 * The `p` quantile of `xs` by the nearest-rank method (p = 0.9 is the smallest sample that at
 * least 90% of the samples do not exceed); NaN when empty.
 */
export function percentile (xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] as number
}

/** Milliseconds elapsed since `t0` (a `process.hrtime.bigint()` reading). */
export function msSince (t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6
}
