/**
 * Keyframe times of a Matroska/WebM file's video track from its Cues, read through HTTP range
 * requests: the segment's first bytes (SeekHead, Info, Tracks), then the Cues element where
 * the SeekHead points. Never the clusters.
 */
import type { RangeReader } from './mp4-index.js'

const EBML = 0x1a45dfa3
const SEGMENT = 0x18538067
const SEEK_HEAD = 0x114d9b74
const SEEK = 0x4dbb
const SEEK_ID = 0x53ab
const SEEK_POSITION = 0x53ac
const INFO = 0x1549a966
const TIMECODE_SCALE = 0x2ad7b1
const TRACKS = 0x1654ae6b
const TRACK_ENTRY = 0xae
const TRACK_NUMBER = 0xd7
const TRACK_TYPE = 0x83
const CUES = 0x1c53bb6b
const CUE_POINT = 0xbb
const CUE_TIME = 0xb3
const CUE_TRACK_POSITIONS = 0xb7
const CUE_TRACK = 0xf7

const HEAD_BYTES = 64 * 1024
const MAX_ELEMENT = 16 * 1024 * 1024

interface Element { id: number, start: number, end: number }

/** An element header at `pos`: id (marker kept), data start and end; null when cut short. */
function header (buf: Buffer, pos: number): Element | null {
  const first = buf[pos]
  if (first === undefined || first === 0) return null
  const idLen = Math.clz32(first) - 23
  if (idLen > 4 || pos + idLen >= buf.length) return null
  const id = buf.readUIntBE(pos, idLen)
  const sizeFirst = buf[pos + idLen] ?? 0
  if (sizeFirst === 0) return null
  const sizeLen = Math.clz32(sizeFirst) - 23
  if (pos + idLen + sizeLen > buf.length) return null
  let size = sizeFirst & (0xff >> sizeLen)
  let allOnes = size === (0xff >> sizeLen)
  for (let i = 1; i < sizeLen; i++) {
    const b = buf[pos + idLen + i] ?? 0
    allOnes &&= b === 0xff
    size = size * 256 + b
  }
  const start = pos + idLen + sizeLen
  return { id, start, end: allOnes ? Number.MAX_SAFE_INTEGER : start + size }
}

function children (buf: Buffer, start: number, end: number): Element[] {
  const out: Element[] = []
  let pos = start
  while (pos < Math.min(end, buf.length)) {
    const e = header(buf, pos)
    if (e === null) break
    out.push(e)
    if (e.end === Number.MAX_SAFE_INTEGER) break
    pos = e.end
  }
  return out
}

function uint (buf: Buffer, e: Element): number {
  const len = Math.min(e.end, buf.length) - e.start
  return len <= 0 || len > 6 ? 0 : buf.readUIntBE(e.start, len)
}

/** The whole element at an absolute file offset. */
async function readElement (read: RangeReader, offset: number): Promise<{ buf: Buffer, e: Element } | null> {
  const { bytes: head } = await read(offset, 16)
  const h = header(head, 0)
  if (h === null || h.end - h.start > MAX_ELEMENT) return null
  const { bytes } = await read(offset, h.end)
  const e = header(bytes, 0)
  return e === null || bytes.length < e.end ? null : { buf: bytes, e }
}

/**
 * Presentation times (seconds) of the Cues of the first video track; null when the file is not
 * Matroska or has no Cues (e.g. a live WebM).
 */
export async function mkvKeyframes (read: RangeReader): Promise<number[] | null> {
  const { bytes: head } = await read(0, HEAD_BYTES)
  const ebml = header(head, 0)
  if (ebml?.id !== EBML) return null
  const segment = header(head, ebml.end)
  if (segment?.id !== SEGMENT) return null
  const base = segment.start
  let scale = 1_000_000
  let videoTrack: number | null = null
  const positions = new Map<number, number>()
  const readInfo = (buf: Buffer, e: Element): void => {
    for (const c of children(buf, e.start, e.end)) if (c.id === TIMECODE_SCALE) scale = uint(buf, c)
  }
  const readTracks = (buf: Buffer, e: Element): void => {
    for (const entry of children(buf, e.start, e.end).filter((c) => c.id === TRACK_ENTRY)) {
      const fields = children(buf, entry.start, entry.end)
      const type = fields.find((c) => c.id === TRACK_TYPE)
      const num = fields.find((c) => c.id === TRACK_NUMBER)
      if (type !== undefined && num !== undefined && uint(buf, type) === 1 && videoTrack === null) videoTrack = uint(buf, num)
    }
  }
  let seenTracks = false
  let seenInfo = false
  for (const e of children(head, base, segment.end)) {
    if (e.end > head.length && e.id !== SEEK_HEAD) break
    if (e.id === SEEK_HEAD) {
      for (const seek of children(head, e.start, e.end).filter((c) => c.id === SEEK)) {
        const fields = children(head, seek.start, seek.end)
        const id = fields.find((c) => c.id === SEEK_ID)
        const pos = fields.find((c) => c.id === SEEK_POSITION)
        if (id !== undefined && pos !== undefined) positions.set(uint(head, id), base + uint(head, pos))
      }
    } else if (e.id === INFO) {
      readInfo(head, e)
      seenInfo = true
    } else if (e.id === TRACKS) {
      readTracks(head, e)
      seenTracks = true
    }
  }
  const infoAt = positions.get(INFO)
  if (!seenInfo && infoAt !== undefined) {
    const info = await readElement(read, infoAt)
    if (info !== null) readInfo(info.buf, info.e)
  }
  if (!seenTracks) {
    const at = positions.get(TRACKS)
    const tracks = at === undefined ? null : await readElement(read, at)
    if (tracks !== null) readTracks(tracks.buf, tracks.e)
  }
  const cuesAt = positions.get(CUES) ?? null
  if (videoTrack === null || cuesAt === null) return null
  const cues = await readElement(read, cuesAt)
  if (cues?.e.id !== CUES) return null
  const out: number[] = []
  for (const point of children(cues.buf, cues.e.start, cues.e.end).filter((c) => c.id === CUE_POINT)) {
    const fields = children(cues.buf, point.start, point.end)
    const time = fields.find((c) => c.id === CUE_TIME)
    const onVideo = fields.filter((c) => c.id === CUE_TRACK_POSITIONS).some((p) =>
      children(cues.buf, p.start, p.end).some((c) => c.id === CUE_TRACK && uint(cues.buf, c) === videoTrack))
    if (time !== undefined && onVideo) out.push(uint(cues.buf, time) * scale / 1e9)
  }
  return out.length > 0 ? out.sort((a, b) => a - b) : null
}
