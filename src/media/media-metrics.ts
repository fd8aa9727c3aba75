import { Counter, Gauge, Histogram } from 'prom-client'
import type { Registry } from 'prom-client'
import { PREFIX } from '../metrics/registry.js'

/** What the media layer counts; one per process that owns sessions, in that process's registry. */
export class MediaMetrics {
  readonly sessions: Gauge
  readonly starts: Counter<'kind'>
  readonly segmentsMade: Counter<'kind'>
  readonly segmentsServed: Counter
  readonly firstSegment: Histogram<'kind'>
  readonly cpu: Counter

  constructor (registry: Registry) {
    const registers = [registry]
    this.sessions = new Gauge({ name: `${PREFIX}media_sessions`, help: 'HLS sessions open (files being made into segments).', registers })
    this.starts = new Counter({ name: `${PREFIX}media_ffmpeg_starts_total`, help: 'ffmpeg runs started for HLS segments; kind=restart when a run replaced another (a seek or a crash).', labelNames: ['kind'], registers })
    this.segmentsMade = new Counter({ name: `${PREFIX}media_segments_made_total`, help: 'HLS segments ffmpeg finished, by rendition kind (video, audio).', labelNames: ['kind'], registers })
    this.segmentsServed = new Counter({ name: `${PREFIX}media_segments_served_total`, help: 'HLS segments sent to clients.', registers })
    this.firstSegment = new Histogram({ name: `${PREFIX}media_first_segment_seconds`, help: 'Time from an ffmpeg start to its first finished segment, by rendition kind.', labelNames: ['kind'], buckets: [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32], registers })
    this.cpu = new Counter({ name: `${PREFIX}media_ffmpeg_cpu_seconds_total`, help: 'CPU seconds (user + system) used by HLS ffmpeg runs.', registers })
  }
}
