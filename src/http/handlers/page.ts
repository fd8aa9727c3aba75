import crypto from 'node:crypto'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { TodError } from '../../errors.js'
import type { Handler } from '../routes.js'

/**
 * Only the daemon's own origin: scripts, styles and API calls; media also from blob: (hls.js
 * feeds the video element through a MediaSource object URL) and hls.js's worker from blob:.
 */
const CSP = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "media-src 'self' blob:", "worker-src 'self' blob:", "connect-src 'self'",
  "object-src 'none'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'"
].join('; ')

const COMMON = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' }

interface Asset { type: string, body: Buffer }
interface Bundle { version: string, index: Buffer, assets: Map<string, Asset> }

let bundle: Bundle | undefined

/**
 * The page's files, read once (the first request of a front-end) and kept: index.html, app.js,
 * app.css from web/, and hls.js at the version package-lock pins. Assets are named under
 * `/assets/<hash of their contents>/`, so they can be cached for good; index.html names them.
 */
function load (): Bundle {
  if (bundle !== undefined) return bundle
  const web = webFolder()
  const read = (name: string): Buffer => fs.readFileSync(path.join(web, name))
  const assets = new Map<string, Asset>([
    ['app.js', { type: 'text/javascript; charset=utf-8', body: read('app.js') }],
    ['app.css', { type: 'text/css; charset=utf-8', body: read('app.css') }],
    ['hls.min.js', { type: 'text/javascript; charset=utf-8', body: fs.readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js')) }]
  ])
  const hash = crypto.createHash('sha256')
  for (const a of assets.values()) hash.update(a.body)
  const version = hash.digest('hex').slice(0, 16)
  const index = Buffer.from(read('index.html').toString('utf8').replaceAll('/assets/VERSION/', `/assets/${version}/`))
  bundle = { version, index, assets }
  return bundle
}

/** web/ at the top of the package: two levels up from src/http/handlers, three from dist/src/…. */
function webFolder (): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    dir = path.dirname(dir)
    if (fs.existsSync(path.join(dir, 'web', 'index.html'))) return path.join(dir, 'web')
  }
  throw new Error('web/index.html not found above ' + fileURLToPath(import.meta.url))
}

/** GET / : the web page (no-cache: it names the current assets). */
export const page: Handler = async ({ req, res }) => {
  const { index } = load()
  res.writeHead(200, { ...COMMON, 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': index.length, 'Cache-Control': 'no-cache' })
  res.end(req.method === 'HEAD' ? undefined : index)
}

/** GET /assets/{version}/{name}: one of the page's files, immutable (another version is a 404). */
export const asset: Handler<{ name: string }> = async ({ req, res, params: { name } }) => {
  const { version, assets } = load()
  const [v, file, ...rest] = name.split('/')
  const found = v === version && rest.length === 0 && file !== undefined ? assets.get(file) : undefined
  if (found === undefined) throw new TodError('TOD_ERR_NOT_FOUND')
  res.writeHead(200, {
    ...COMMON,
    'Content-Type': found.type,
    'Content-Length': found.body.length,
    'Cache-Control': 'public, max-age=31536000, immutable',
    ETag: `"${version}"`
  })
  res.end(req.method === 'HEAD' ? undefined : found.body)
}
