import type { IncomingMessage } from 'node:http'
import getRawBody from 'raw-body'
import { TodError } from '../errors.js'
import { clientGone } from './client-gone.js'

/** Reads a request body up to `limit` bytes; more is TOD_ERR_TOO_LARGE (413). */
export async function readBody (req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    // raw-body checks a declared Content-Length before reading and counts what arrives.
    return await getRawBody(req, { limit, length: req.headers['content-length'] })
  } catch (err) {
    const type = (err as { type?: unknown }).type
    if (type === 'request.aborted') throw clientGone(err)
    if (type === 'entity.too.large') {
      // raw-body leaves the request paused: read and drop the rest so the 413 reaches the client.
      req.resume()
      throw new TodError('TOD_ERR_TOO_LARGE', { limit }, { cause: err })
    }
    if (type === 'request.size.invalid') throw new TodError('TOD_ERR_BAD_BODY', { reason: 'it is not as long as its Content-Length says' }, { cause: err })
    throw err
  }
}
