import { makeVideo } from './media.js'
import { stat } from 'node:fs/promises'
for (const [fmt, secs, target] of [['mp4', 4, 4e6], ['mkv', 4, 4e6], ['mp4', 20, 5e6], ['mp4', 60, 200e6], ['webm', 10, 3e6]] as const) {
  const t0 = Date.now()
  const p = await makeVideo('/tmp/qbt-exp/sz', { format: fmt, seconds: secs, targetBytes: target })
  console.log(fmt, secs, target, (await stat(p)).size, Date.now() - t0, 'ms')
}
