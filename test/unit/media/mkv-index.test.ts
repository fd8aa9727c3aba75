// The Matroska Cues reader gives ffprobe's keyframe times, reading only the head and the Cues.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { mkvKeyframes } from '../../../src/media/mkv-index.js'
import type { RangeReader } from '../../../src/media/mp4-index.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-mkv-index-'))
t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })

function reader (file: string, reads: Array<[number, number]>): RangeReader {
  const bytes = fs.readFileSync(file)
  return async (offset, length) => {
    reads.push([offset, length])
    return { bytes: bytes.subarray(offset, offset + length), size: bytes.length }
  }
}

t.test('H.264 + AC-3 in Matroska: the Cues are the keyframes ffprobe sees; clusters never read', async (t) => {
  const file = path.join(dir, 'a.mkv')
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=20', '-f', 'lavfi', '-i', 'sine=duration=20',
    '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '3', '-g', '48', '-b:v', '2M', '-c:a', 'ac3', file])
  const want = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' })
    .trim().split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0])).sort((a, b) => a - b)
  const reads: Array<[number, number]> = []
  const got = await mkvKeyframes(reader(file, reads))
  t.same(got?.map((k) => k.toFixed(3)), want.map((k) => k.toFixed(3)))
  const bytesRead = reads.reduce((a, [, len]) => a + len, 0)
  t.ok(bytesRead < fs.statSync(file).size / 4, `read ${bytesRead} of ${fs.statSync(file).size} bytes`)
})

t.test('not Matroska: null', async (t) => {
  const file = path.join(dir, 'x.bin')
  fs.writeFileSync(file, Buffer.alloc(1000, 1))
  t.equal(await mkvKeyframes(reader(file, [])), null)
})
