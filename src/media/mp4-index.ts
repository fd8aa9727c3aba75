/**
 * Keyframe times of an MP4/MOV file's first video track, read from its index (moov: stts,
 * ctts, stss, elst) through HTTP range requests: a few small reads to find the moov box, then
 * the moov itself. Never the media data.
 */

/** Reads `length` bytes at `offset`; the total file size comes back too. */
export type RangeReader = (offset: number, length: number) => Promise<{ bytes: Buffer, size: number }>

const MAX_MOOV = 64 * 1024 * 1024
const MAX_TOP_BOXES = 64

interface Box { type: string, start: number, end: number }

function boxes (buf: Buffer, start: number, end: number): Box[] {
  const out: Box[] = []
  let pos = start
  while (pos + 8 <= end) {
    let size = buf.readUInt32BE(pos)
    const type = buf.toString('latin1', pos + 4, pos + 8)
    let header = 8
    if (size === 1) {
      size = Number(buf.readBigUInt64BE(pos + 8))
      header = 16
    } else if (size === 0) size = end - pos
    if (size < header || pos + size > end) break
    out.push({ type, start: pos + header, end: pos + size })
    pos += size
  }
  return out
}

function child (buf: Buffer, box: Box | undefined, type: string): Box | undefined {
  return box === undefined ? undefined : boxes(buf, box.start, box.end).find((b) => b.type === type)
}

function path (buf: Buffer, box: Box | undefined, ...types: string[]): Box | undefined {
  return types.reduce<Box | undefined>((b, t) => child(buf, b, t), box)
}

/** Finds and reads the moov box (wherever it is: start or end of the file). */
async function readMoov (read: RangeReader): Promise<Buffer | null> {
  let offset = 0
  for (let i = 0; i < MAX_TOP_BOXES; i++) {
    const { bytes: head, size: fileSize } = await read(offset, 16)
    if (head.length < 8) return null
    let size = head.readUInt32BE(0)
    const type = head.toString('latin1', 4, 8)
    let header = 8
    if (size === 1) {
      if (head.length < 16) return null
      size = Number(head.readBigUInt64BE(8))
      header = 16
    } else if (size === 0) size = fileSize - offset
    if (size < header) return null
    if (type === 'moov') {
      if (size > MAX_MOOV) return null
      const { bytes } = await read(offset, size)
      return bytes.length === size ? bytes : null
    }
    offset += size
    if (offset >= fileSize) return null
  }
  return null
}

/**
 * Presentation times (seconds, from the file's first timestamp) of the keyframes of the first
 * video track; null when the file has no usable index (fragmented MP4, no video, no stss).
 */
export async function mp4Keyframes (read: RangeReader): Promise<number[] | null> {
  const moov = await readMoov(read)
  if (moov === null) return null
  const root: Box = { type: 'moov', start: 8, end: moov.length }
  if (moov.readUInt32BE(0) === 1) root.start = 16
  for (const trak of boxes(moov, root.start, root.end).filter((b) => b.type === 'trak')) {
    const hdlr = path(moov, trak, 'mdia', 'hdlr')
    if (hdlr === undefined || moov.toString('latin1', hdlr.start + 8, hdlr.start + 12) !== 'vide') continue
    return trackKeyframes(moov, trak)
  }
  return null
}

function trackKeyframes (buf: Buffer, trak: Box): number[] | null {
  const mdhd = path(buf, trak, 'mdia', 'mdhd')
  const stbl = path(buf, trak, 'mdia', 'minf', 'stbl')
  const stts = child(buf, stbl, 'stts')
  const stss = child(buf, stbl, 'stss')
  if (mdhd === undefined || stts === undefined || stss === undefined) return null
  const timescale = buf[mdhd.start] === 1 ? buf.readUInt32BE(mdhd.start + 20) : buf.readUInt32BE(mdhd.start + 12)
  if (timescale === 0) return null
  const syncs = table(buf, stss, 1).map((row) => row[0] ?? 0)
  if (syncs.length === 0) return null
  const ctts = child(buf, stbl, 'ctts')
  const cttsSigned = ctts !== undefined && buf[ctts.start] === 1
  const cttsRows = ctts === undefined ? [] : table(buf, ctts, 2, cttsSigned)
  const sttsRows = table(buf, stts, 2)
  const shift = editShift(buf, trak)
  // Walk samples once: dts from stts, composition offset from ctts, keep the sync samples.
  const out: number[] = []
  let sample = 1
  let dts = 0
  let si = 0
  let ci = 0
  let cLeft = cttsRows[0]?.[0] ?? 0
  for (const [count = 0, delta = 0] of sttsRows) {
    for (let k = 0; k < count; k++, sample++) {
      while (cttsRows.length > 0 && cLeft === 0 && ci < cttsRows.length - 1) cLeft = cttsRows[++ci]?.[0] ?? 0
      const offset = cttsRows[ci]?.[1] ?? 0
      if (cLeft > 0) cLeft--
      if (syncs[si] === sample) {
        out.push((dts + offset - shift) / timescale)
        si++
      }
      dts += delta
    }
  }
  return out.length > 0 ? out.sort((a, b) => a - b) : null
}

/** The media time the edit list starts the track at (B-frame delay), in the track's timescale. */
function editShift (buf: Buffer, trak: Box): number {
  const elst = path(buf, trak, 'edts', 'elst')
  if (elst === undefined) return 0
  const v1 = buf[elst.start] === 1
  const count = buf.readUInt32BE(elst.start + 4)
  let pos = elst.start + 8
  for (let i = 0; i < count && pos + (v1 ? 20 : 12) <= elst.end; i++) {
    const mediaTime = v1 ? Number(buf.readBigInt64BE(pos + 8)) : buf.readInt32BE(pos + 4)
    if (mediaTime >= 0) return mediaTime
    pos += v1 ? 20 : 12
  }
  return 0
}

/** A full box's table: entry count, then `cols` 32-bit columns per row. */
function table (buf: Buffer, box: Box, cols: number, signedLast = false): number[][] {
  const count = buf.readUInt32BE(box.start + 4)
  const rows: number[][] = []
  let pos = box.start + 8
  for (let i = 0; i < count && pos + 4 * cols <= box.end; i++) {
    const row: number[] = []
    for (let c = 0; c < cols; c++) row.push(signedLast && c === cols - 1 ? buf.readInt32BE(pos + 4 * c) : buf.readUInt32BE(pos + 4 * c))
    rows.push(row)
    pos += 4 * cols
  }
  return rows
}
