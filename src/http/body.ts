import type { IncomingMessage } from 'node:http'
import { TodError } from '../errors.js'

/** Reads a request body up to `limit` bytes; more is TOD_ERR_TOO_LARGE (413). */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN)
  if (declared > limit) throw new TodError('TOD_ERR_TOO_LARGE', `the body is larger than ${limit} bytes`)
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) {
      req.resume()
      throw new TodError('TOD_ERR_TOO_LARGE', `the body is larger than ${limit} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}
