import fs from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { create as contentDisposition } from 'content-disposition'
import fresh from 'fresh'
import { TodError } from '../errors.js'
import { bodyBytesSent } from '../metrics/body-bytes.js'
import type { FileInfo, ReadResult } from '../protocol.js'
import { clientGone, untilCut } from './client-gone.js'
import { servedType } from './file-kind.js'
import type { EngineClient } from './engine-client.js'
import { resolveRange } from './range.js'
import { sendRange, sendableFd, sendfileAvailability } from './sendfile.js'

let streamCounter = 0

export interface SendFileOptions {
  infoHash: string
  file: FileInfo
  /** Chunk size of disk reads (when the bytes are copied). */
  bufferSize: number
  /** Send with sendfile(2) where it works (streaming.sendfile); the bytes are copied otherwise. */
  sendfile: boolean
  /** Content-Disposition type. */
  disposition?: 'inline' | 'attachment'
  /** A client that takes no bytes for this long is cut off (server.write_idle_timeout_ms; 0: never). */
  writeIdleMs: number
  /**
   * Checks that the torrent and file are still known (throws if not), for answers that make no
   * engine read (304, 412, 416, HEAD); given when `file` came from the front-end's cache.
   */
  confirm?: () => Promise<void>
}

/**
 * Serves one file of a torrent: validators, conditionals and one byte range per RFC 9110,
 * then the bytes straight from the verified file on disk. The read is a loop of engine
 * "make [pos, ...) ready" calls; the next one is asked for while the current span is being
 * sent, so the engine's window stays ahead of the client. The bytes go from the page cache into
 * the socket with sendfile(2) when `opts.sendfile` is set, the addon is loaded and the socket is
 * plain TCP; otherwise they are copied through `res.write`.
 */
export async function sendFile (req: IncomingMessage, res: ServerResponse, engine: EngineClient, opts: SendFileOptions): Promise<void> {
  const { infoHash, file } = opts
  // The bytes of a file in a torrent are fixed by its info-hash: a strong validator that never
  // changes, and a response any cache may keep.
  const etag = `"${infoHash}-${file.id}"`
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    ETag: etag,
    'Cache-Control': 'public, max-age=31536000, immutable',
    'Content-Type': servedType(file),
    'Content-Disposition': contentDisposition(file.name, { type: opts.disposition ?? 'inline' })
  }

  const ifMatch = req.headers['if-match']
  if (ifMatch !== undefined && !strongMatch(ifMatch, etag)) {
    await opts.confirm?.()
    throw new TodError('TOD_ERR_PRECONDITION')
  }
  // fresh() compares If-None-Match (weakly, `*` included). Only that header is given: its
  // Cache-Control: no-cache rule is for caches, and an origin answers the conditional as asked.
  const ifNoneMatch = req.headers['if-none-match']
  if (ifNoneMatch !== undefined && fresh({ 'if-none-match': ifNoneMatch }, { etag })) {
    await opts.confirm?.()
    res.writeHead(304, { ETag: etag, 'Cache-Control': headers['Cache-Control'] as string })
    res.end()
    return
  }

  // If-Range: the range applies only while the representation is the one the client has.
  const ifRange = req.headers['if-range']
  const rangeHeader = ifRange === undefined || String(ifRange).trim() === etag ? req.headers.range : undefined
  const range = resolveRange(rangeHeader, file.size)
  if (range.kind === 'unsatisfiable') {
    await opts.confirm?.()
    throw new TodError('TOD_ERR_RANGE', undefined, { headers: { 'Content-Range': `bytes */${file.size}` } })
  }
  const start = range.kind === 'partial' ? range.start : 0
  const end = range.kind === 'partial' ? range.end : file.size - 1
  const status = range.kind === 'partial' ? 206 : 200
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`
  headers['Content-Length'] = end - start + 1

  if (req.method === 'HEAD' || end < start) {
    await opts.confirm?.()
    res.writeHead(status, headers)
    res.end()
    return
  }

  const streamId = `${process.pid}-${++streamCounter}`
  const read = async (offset: number): Promise<ReadResult> =>
    await engine.run({ type: 'read', infoHash, fileId: file.id, offset, streamId })
  const direct = opts.sendfile && sendfileAvailability().available && sendableFd(req.socket) !== null
  let open: { path: string, handle: FileHandle } | null = null
  try {
    // The first span is awaited before the status line, so a stall still gets a JSON 504.
    let next: Promise<ReadResult> | null = read(start)
    let pos = start
    while (pos <= end && next !== null) {
      const span = await next
      if (span.available <= 0) throw new TodError('TOD_ERR_READ_CANCELLED')
      const spanEnd = Math.min(end, pos + span.available - 1)
      next = spanEnd < end ? read(spanEnd + 1) : null
      next?.catch(() => {}) // awaited on the next turn; a rejection now must not go unhandled
      if (!res.headersSent) {
        res.writeHead(status, headers)
        if (direct) await headersWritten(res, opts.writeIdleMs)
      }
      if (direct) {
        if (open === null || open.path !== span.diskPath) {
          const old = open
          open = null // a failed open below must not leave the old handle to be closed twice
          await old?.handle.close()
          open = { path: span.diskPath, handle: await fs.promises.open(span.diskPath, 'r') }
        }
        const socket = res.socket
        if (socket === null) throw clientGone()
        await sendRange(socket, open.handle.fd, pos, spanEnd - pos + 1, opts.writeIdleMs, (n) => { bodyBytesSent(res, n) })
      } else {
        await writeSpan(res, span.diskPath, pos, spanEnd, opts.bufferSize, opts.writeIdleMs)
      }
      pos = spanEnd + 1
    }
    // Content-Length is set: ending with no body is right when sendfile sent it.
    res.end()
  } finally {
    await open?.handle.close().catch(() => {})
    // Finished, failed or the client went away: the window is not needed any more.
    engine.run({ type: 'release', infoHash, streamId }).catch(() => {})
  }
}

/**
 * Sends the status line and headers and waits until the socket has taken them, so the bytes
 * sendfile(2) writes into the socket come after them. A pipelined response waits here for its
 * turn on the connection (Node holds its output until the responses before it have finished).
 */
async function headersWritten (res: ServerResponse, idleMs: number): Promise<void> {
  await untilCut(res, idleMs, (done) => {
    // An empty write: Node sends the pending headers with it and calls back once written.
    res.write('', (err) => { done(err ?? undefined) })
    return () => {}
  })
}

/**
 * Copies [start, end] of a file into the response with backpressure. Written out rather than
 * with stream.pipeline(..., { end: false }), which left listeners on the response for every
 * span (MaxListenersExceededWarning after ten spans of one response).
 */
async function writeSpan (res: ServerResponse, file: string, start: number, end: number, highWaterMark: number, idleMs: number): Promise<void> {
  const rs = fs.createReadStream(file, { start, end, highWaterMark })
  try {
    for await (const chunk of rs as AsyncIterable<Buffer>) {
      if (res.destroyed) throw clientGone()
      if (!res.write(chunk)) await drained(res, idleMs)
    }
  } finally {
    rs.destroy()
  }
}

/** Resolves on 'drain'. */
async function drained (res: ServerResponse, idleMs: number): Promise<void> {
  await untilCut(res, idleMs, (done) => {
    const onDrain = (): void => { done() }
    res.on('drain', onDrain)
    return () => { res.off('drain', onDrain) }
  })
}

/** If-Match against our ETag, strong comparison (`fresh` does only If-None-Match's weak one). */
function strongMatch (header: string, etag: string): boolean {
  if (header.trim() === '*') return true
  return header.split(',').some((tag) => tag.trim() === etag)
}
