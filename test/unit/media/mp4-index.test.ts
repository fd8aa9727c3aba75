// The MP4 index reader gives the keyframe times ffprobe reports, reading only the moov box.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { mp4Keyframes } from '../../../src/media/mp4-index.js'
import type { RangeReader } from '../../../src/media/mp4-index.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-mp4-index-'))
t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })

function make (name: string, extra: string[]): string {
  const file = path.join(dir, name)
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=24:duration=10', '-f', 'lavfi', '-i', 'sine=duration=10',
    '-c:v', 'libx264', '-preset', 'medium', '-bf', '3', '-g', '40', '-keyint_min', '40', '-c:a', 'aac', ...extra, file])
  return file
}

function ffprobeKeyframes (file: string): number[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' })
  return out.trim().split('\n').filter((l) => l.includes('K')).map((l) => Number(l.split(',')[0])).sort((a, b) => a - b)
}

function reader (file: string, reads: Array<[number, number]>): RangeReader {
  const bytes = fs.readFileSync(file)
  return async (offset, length) => {
    reads.push([offset, length])
    return { bytes: bytes.subarray(offset, offset + length), size: bytes.length }
  }
}

for (const [name, extra] of [['faststart.mp4', ['-movflags', '+faststart']], ['moov-last.mp4', []]] as const) {
  t.test(`${name}: keyframes from stss/stts/ctts/elst match ffprobe, media data never read`, async (t) => {
    const file = make(name, [...extra])
    const reads: Array<[number, number]> = []
    const got = await mp4Keyframes(reader(file, reads))
    const want = ffprobeKeyframes(file)
    t.equal(got?.length, want.length)
    got?.forEach((k, i) => { t.ok(Math.abs(k - (want[i] ?? -1)) < 0.0005, `keyframe ${i}: ${k} vs ${want[i]}`) })
    const bytesRead = reads.reduce((a, [, len]) => a + len, 0)
    t.ok(bytesRead < fs.statSync(file).size / 4, `read ${bytesRead} of ${fs.statSync(file).size} bytes`)
  })
}

t.test('not an MP4: null', async (t) => {
  const file = path.join(dir, 'x.bin')
  fs.writeFileSync(file, Buffer.alloc(1000, 1))
  t.equal(await mp4Keyframes(reader(file, [])), null)
})
