// Soak, the short CI version of bench/soak.ts (tag: soak; about 2.5 minutes): 10 readers doing
// random range reads across 10 torrents on loopback while a torrent is deleted and another added
// every 3 s (each reader pausing 50 ms between reads), under a 24 MiB disk quota for 40 MiB of torrents. TOD_SOAK_MINUTES makes it longer.
import t from 'tap'
import { growth, runSoak, summarize } from '../../helpers/soak.js'

const MiB = 1024 * 1024
const minutes = Number(process.env.TOD_SOAK_MINUTES ?? '2')
const QUOTA = 24 * MiB
// Descriptors a process may hold more at the end than after the warm-up: a few sockets of
// readers in flight and files of torrents being written come and go; a leak of one descriptor
// per read or per added torrent would be hundreds by the end.
const FD_MARGIN = 24
// RSS may grow this much from the end of the warm-up to the end. Two minutes on a shared CI
// machine is mostly V8 sizing its heaps and malloc arenas filling, which is noisy (±20% between
// runs); the bound only catches a gross leak (e.g. every read's buffer kept). bench/soak.ts over
// 30 minutes is where slow growth is measured.
const RSS_GROWTH = 0.5
// The reaper runs every 2 s and evicts only torrents nobody streams, so between runs the data
// can overshoot the quota by what 10 readers fetch in that time (readahead included).
const DISK_SLACK = 1.5

t.test(`soak for ${minutes} min: no unexpected error, no fd or memory leak, disk near the quota`, async (t) => {
  const result = await runSoak({
    durationMs: minutes * 60_000,
    warmupMs: Math.min(40_000, minutes * 20_000),
    clients: 10,
    torrents: 10,
    torrentBytes: 4 * MiB,
    quotaBytes: QUOTA,
    sampleMs: 3000,
    churnMs: 3000,
    // Light on a shared CI machine: ~20 reads a second per reader instead of back to back
    // (which would be ~200 and two busy cores for the whole run).
    pauseMs: 50
  })
  t.comment(summarize(result))
  t.equal(result.unexpected, 0, 'no unexpected outcome (only 2xx, and 404/409 the run provoked)')
  t.ok(result.outcomes.ok !== undefined && result.outcomes.ok.count > 1000, `reads went through (${result.outcomes.ok?.count ?? 0})`)
  t.equal(result.frontendRestarts, 0, 'no front-end was restarted')
  const names = Object.keys(result.procs)
  t.ok(names.includes('supervisor') && names.length >= 2, `sampled ${names.join(', ')}`)
  for (const [name, points] of Object.entries(result.procs)) {
    const g = growth(points)
    t.ok(g.fdsLast <= g.fdsFirst + FD_MARGIN, `${name}: fds ${g.fdsFirst} → ${g.fdsLast} (margin ${FD_MARGIN})`)
    t.ok(g.rssGrowth <= RSS_GROWTH, `${name}: RSS ${(g.rssFirst / MiB).toFixed(0)} → ${(g.rssLast / MiB).toFixed(0)} MB (${(g.rssGrowth * 100).toFixed(0)}%, bound ${RSS_GROWTH * 100}%)`)
  }
  t.ok(result.maxDiskBytes <= QUOTA * DISK_SLACK, `disk at most ${(result.maxDiskBytes / MiB).toFixed(1)} MB (quota ${QUOTA / MiB} MB, slack ${DISK_SLACK}x)`)
  t.ok(result.evictions > 0, `the reaper evicted to keep the quota (${result.evictions})`)
})
