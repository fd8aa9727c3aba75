// Soak: 20 readers doing random range reads across 20 torrents seeded on loopback while a
// torrent is deleted and another added every few seconds, against a small disk quota; the
// daemon's RSS and open descriptors (supervisor and each front-end) and the data folder's disk
// use are sampled all along, and a summary is printed at the end. Not CI (see
// test/e2e/faults/soak.test.ts for the short version).
//   npm run build && node dist/bench/soak.js [--minutes 30] [--clients 20] [--torrents 20]
import { parseArgs } from 'node:util'
import { runSoak, summarize } from '../test/helpers/soak.js'

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'warmup-minutes': { type: 'string', default: '2' },
    clients: { type: 'string', default: '20' },
    torrents: { type: 'string', default: '20' },
    'torrent-mb': { type: 'string', default: '4' },
    'quota-mb': { type: 'string', default: '48' },
    'sample-s': { type: 'string', default: '5' },
    'churn-s': { type: 'string', default: '3' }
  }
})
const MiB = 1024 * 1024
const result = await runSoak({
  durationMs: Number(values.minutes) * 60_000,
  warmupMs: Math.min(Number(values['warmup-minutes']) * 60_000, Number(values.minutes) * 30_000),
  clients: Number(values.clients),
  torrents: Number(values.torrents),
  torrentBytes: Number(values['torrent-mb']) * MiB,
  quotaBytes: Number(values['quota-mb']) * MiB,
  sampleMs: Number(values['sample-s']) * 1000,
  churnMs: Number(values['churn-s']) * 1000,
  onSample: (line) => { console.log(line) }
})
console.log('\n' + summarize(result))
process.exitCode = result.unexpected > 0 ? 1 : 0
