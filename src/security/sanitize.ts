import { encode as magnetEncode } from 'magnet-uri'
import type { MagnetData } from 'magnet-uri'
import { TodError, bounded } from '../errors.js'
import { parseMagnet } from '../input/magnet.js'
import { formatPeerAddress, parsePeerAddress } from '../input/peer-address.js'
import { parseTorrentFile, toTorrentFile } from '../input/torrent-file.js'
import type { TorrentFileOptions } from '../input/torrent-file.js'
import { HostChecker } from './host-check.js'
import type { DropReason, HostCheckOptions } from './host-check.js'

export { checkHost } from './host-check.js'
export type { DropReason, HostCheckOptions, HostVerdict, LookupAddress, LookupFn } from './host-check.js'

/**
 * The SSRF guard for torrent ids. Every magnet and .torrent passes through
 * {@link sanitizeTorrentId} before `client.add`: each URL WebTorrent would contact (trackers,
 * web seeds, exact and acceptable sources) and each peer hint it would dial is parsed the way
 * WebTorrent parses it, its host resolved, and the entry dropped when the host is malformed,
 * does not resolve, or resolves to any address in a blocked range (see ip-policy.ts).
 *
 * This check alone cannot cover what WebTorrent connects to later, by itself; other layers do:
 * - DNS rebinding and HTTP redirects (a name resolved again by fetch or dgram on each announce,
 *   a `302 Location: http://127.0.0.1/`), and what an `xs` server returns: every shard thread
 *   checks each connection when it is made (connect-guard.ts: a global undici dispatcher whose
 *   connector checks the host with {@link checkHost} and dials the checked address, and a dgram
 *   lookup). Peer hints are pinned here too: `x.pe=name:port` is rewritten to the checked
 *   address; HTTP(S) URLs keep their names (Host header, TLS name).
 * - Peers learned later from trackers, DHT and PEX (dialled: the engine's wrapper of
 *   `torrent.addPeer` with `isBlockedPeer`) and incoming peers (src/workers/peer-guard.ts).
 * ws/wss trackers are checked like the others, but this build never dials them:
 * bittorrent-tracker uses them only with WebRTC, which vendor/webrtc-polyfill stubs out.
 */

export interface SanitizeOptions extends HostCheckOptions {
  /** File-list limits and the data folder for .torrent files (src/input/torrent-file.ts); default the schema's. */
  torrentFile?: TorrentFileOptions
}

/** Where a dropped entry came from: magnet parameters, or .torrent keys. */
export type TargetField = 'tr' | 'ws' | 'as' | 'xs' | 'x.pe' | 'announce' | 'url-list'

/** One entry that was removed, with fields meant for a structured log line. */
export interface DroppedTarget {
  field: TargetField
  /**
   * `scheme://host[:port]` or `host:port`, never the path or query: tracker URLs can carry
   * passkeys, so the full value is not kept.
   */
  target: string
  reason: DropReason
  /** e.g. `127.0.0.1 loopback`, `ENOTFOUND`, `ftp: is not allowed here`. */
  detail: string
}

export interface SanitizedTorrent<T extends string | Buffer> {
  /** The torrent id to hand to WebTorrent: the input itself when `changed` is false. */
  torrentId: T
  /** Lower-case hex v1 info-hash, identical before and after. */
  infoHash: string
  dropped: DroppedTarget[]
  /** Whether `torrentId` differs from the input (entries dropped, peer hints pinned). */
  changed: boolean
}

const TRACKER_SCHEMES = new Set(['http', 'https', 'udp', 'ws', 'wss'])
const WEB_SCHEMES = new Set(['http', 'https'])

/** Sanitises a magnet URI or a .torrent file; the result has the same kind as the input. */
export async function sanitizeTorrentId (id: string, options?: SanitizeOptions): Promise<SanitizedTorrent<string>>
export async function sanitizeTorrentId (id: Uint8Array, options?: SanitizeOptions): Promise<SanitizedTorrent<Buffer>>
export async function sanitizeTorrentId (id: string | Uint8Array, options: SanitizeOptions = {}): Promise<SanitizedTorrent<string> | SanitizedTorrent<Buffer>> {
  return typeof id === 'string' ? await sanitizeMagnet(id, options) : await sanitizeTorrentFile(id, options)
}

/**
 * Sanitises a magnet: `tr` (http, https, udp, ws, wss), `ws` and `as` (http, https), `xs`
 * (http, https; `urn:btpk:` kept, it is a key, not an address) and `x.pe` (host:port; host
 * names are replaced by the checked address). Decoding and encoding use magnet-uri, the parser
 * WebTorrent itself uses; the result is decoded again and refused if anything unchecked would
 * reach WebTorrent. magnet-uri merges `as` into `ws` when it encodes (both are web seeds to
 * WebTorrent). Throws TOD_ERR_BAD_MAGNET when the magnet does not decode.
 */
export async function sanitizeMagnet (magnet: string, options: SanitizeOptions = {}): Promise<SanitizedTorrent<string>> {
  const parsed = parseMagnet(magnet)
  const { infoHash, decoded } = parsed

  const checker = new HostChecker(options)
  const [tr, ws, as, xs, pe] = await Promise.all([
    checkUrls(checker, 'tr', parsed.trackers, TRACKER_SCHEMES),
    checkUrls(checker, 'ws', parsed.webSeeds, WEB_SCHEMES),
    checkUrls(checker, 'as', parsed.acceptableSources, WEB_SCHEMES),
    checkUrls(checker, 'xs', parsed.sources, WEB_SCHEMES, (v) => /^urn:btpk:[0-9a-f]{64}$/i.test(v)),
    checkPeers(checker, parsed.peers)
  ])
  const results = [tr, ws, as, xs, pe]
  const dropped = results.flatMap((r) => r.dropped)
  if (!results.some((r) => r.changed)) return { torrentId: magnet, infoHash, dropped, changed: false }

  const out: MagnetData = { ...decoded }
  // Derived keys would be encoded again next to the raw ones (a base32 xt would gain a hex
  // twin; a urn:btpk public key would replace every xs), so only the raw xt is kept.
  for (const k of ['tr', 'ws', 'as', 'xs', 'x.pe', 'announce', 'urlList', 'peerAddresses', 'infoHash',
    'infoHashBuffer', 'infoHashV2', 'infoHashV2Buffer', 'publicKey', 'publicKeyBuffer']) delete out[k]
  const webSeeds = [...new Set([...ws.kept, ...as.kept])]
  // Empty arrays still make magnet-uri write a separator, so absent lists stay absent.
  if (tr.kept.length > 0) out.announce = tr.kept
  if (webSeeds.length > 0) out.urlList = webSeeds
  if (xs.kept.length > 0) out.xs = xs.kept.length === 1 ? xs.kept[0] : xs.kept
  if (pe.kept.length > 0) out.peerAddresses = pe.kept
  const torrentId = magnetEncode(out)

  // What WebTorrent will read back must be exactly what was checked.
  const again = parseMagnet(torrentId)
  const allowed = new Set([...tr.kept, ...webSeeds, ...xs.kept, ...pe.kept])
  const seen = [...again.trackers, ...again.webSeeds, ...again.acceptableSources, ...again.sources, ...again.peers]
  if (again.infoHash !== infoHash || seen.some((v) => !allowed.has(v))) {
    throw new TodError('TOD_ERR_BAD_MAGNET', { reason: 'it could not be rewritten safely' })
  }
  return { torrentId, infoHash, dropped, changed: true }
}

/**
 * Sanitises a .torrent: `announce`/`announce-list` (as parse-torrent merges them) and
 * `url-list`. When something changes the file is re-encoded with parse-torrent's
 * `toTorrentFile`, which rewrites only the top-level keys (announce, announce-list, url-list,
 * creation date, created by, comment; others such as `nodes` and `httpseeds` are left out,
 * and WebTorrent reads neither) and carries the `info` dictionary as decoded. bencode encodes a
 * decoded dictionary to the same bytes for every canonical .torrent, and parse-torrent (so
 * WebTorrent) hashes that encoding in any case, so the info-hash cannot change; it is checked
 * anyway. Throws TOD_ERR_BAD_TORRENT when the file does not parse.
 */
export async function sanitizeTorrentFile (file: Uint8Array, options: SanitizeOptions = {}): Promise<SanitizedTorrent<Buffer>> {
  const input = Buffer.isBuffer(file) ? file : Buffer.from(file.buffer, file.byteOffset, file.byteLength)
  const parsed = await parseTorrentFile(input, options.torrentFile)

  const checker = new HostChecker(options)
  const [announce, urlList] = await Promise.all([
    checkUrls(checker, 'announce', parsed.announce, TRACKER_SCHEMES),
    checkUrls(checker, 'url-list', parsed.urlList, WEB_SCHEMES)
  ])
  const dropped = [...announce.dropped, ...urlList.dropped]
  if (!announce.changed && !urlList.changed) return { torrentId: input, infoHash: parsed.infoHash, dropped, changed: false }

  const torrentId = Buffer.from(toTorrentFile({ ...parsed, announce: announce.kept, urlList: urlList.kept }))
  const again = await parseTorrentFile(torrentId, options.torrentFile)
  const allowed = new Set([...announce.kept, ...urlList.kept])
  if (again.infoHash !== parsed.infoHash || !Buffer.from(again.infoBuffer).equals(Buffer.from(parsed.infoBuffer)) ||
    [...again.announce, ...again.urlList].some((v) => !allowed.has(v))) {
    throw new TodError('TOD_ERR_BAD_TORRENT', { reason: 'it could not be rewritten safely' })
  }
  return { torrentId, infoHash: parsed.infoHash, dropped, changed: true }
}

// ---------------------------------------------------------------------------------------------

interface Checked { kept: string[], dropped: DroppedTarget[], changed: boolean }

async function checkUrls (checker: HostChecker, field: TargetField, values: readonly string[], schemes: ReadonlySet<string>,
  keepAsIs?: (v: string) => boolean): Promise<Checked> {
  const out: Checked = { kept: [], dropped: [], changed: false }
  const verdicts = await Promise.all(values.map(async (value) => {
    if (keepAsIs?.(value) === true) return { value, ok: true as const }
    const parsed = parseTargetUrl(value, schemes)
    if ('reason' in parsed) return { value, ok: false as const, target: parsed.target, reason: parsed.reason, detail: parsed.detail }
    const v = await checker.check(parsed.host)
    return v.ok ? { value, ok: true as const } : { value, ok: false as const, target: parsed.target, reason: v.reason, detail: v.detail }
  }))
  for (const v of verdicts) {
    if (v.ok) {
      out.kept.push(v.value)
    } else {
      out.dropped.push({ field, target: v.target, reason: v.reason, detail: v.detail })
      out.changed = true
    }
  }
  return out
}

/**
 * Parses a URL as its consumer will: WHATWG URL for http(s) and ws(s) (fetch and `ws` use it);
 * for udp, bittorrent-tracker swaps `udp:` for `http:` first, so IPv4 in any numeric form,
 * percent-encoding and backslashes are read the same way here. Schemes must be lower-case:
 * bittorrent-tracker's swap is case-sensitive, so `UDP://` would be parsed differently there.
 */
function parseTargetUrl (value: string, schemes: ReadonlySet<string>): { host: string, target: string } | { reason: DropReason, detail: string, target: string } {
  const short = redact(value)
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(value)
  if (m === null) return { reason: 'malformed', detail: 'not a URL', target: short }
  const scheme = m[1]!
  if (!schemes.has(scheme.toLowerCase())) return { reason: 'scheme', detail: `${bounded(scheme, 20)}: is not allowed here`, target: short }
  if (scheme !== scheme.toLowerCase()) return { reason: 'scheme', detail: 'the scheme must be lower-case', target: short }
  let url: URL
  try {
    url = new URL(scheme === 'udp' ? 'http' + value.slice(3) : value)
  } catch {
    return { reason: 'malformed', detail: 'not a URL', target: short }
  }
  const target = bounded(`${scheme}://${url.host}`, 100)
  let host = url.hostname
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  if (host === '') return { reason: 'malformed', detail: 'no host', target }
  if (url.port === '0') return { reason: 'malformed', detail: 'port 0', target }
  return { host, target }
}

/** Checks `x.pe` peer hints; kept ones are rewritten to `ip:port` / `[ipv6]:port` of the checked address. */
async function checkPeers (checker: HostChecker, values: readonly string[]): Promise<Checked> {
  const out: Checked = { kept: [], dropped: [], changed: false }
  const verdicts = await Promise.all(values.map(async (value): Promise<{ kept: string } | DroppedTarget> => {
    const drop = (reason: DropReason, detail: string): DroppedTarget => ({ field: 'x.pe', target: value.slice(0, 100), reason, detail })
    const peer = parsePeerAddress(value)
    if ('problem' in peer) return drop('malformed', peer.problem)
    const v = await checker.check(peer.host)
    if (!v.ok) return drop(v.reason, v.detail)
    // Pin the name to the address just checked so WebTorrent does not resolve it again;
    // with allowPrivate nothing was resolved and the hint stays as given.
    const address = v.addresses.find((a) => !a.includes(':')) ?? v.addresses[0]
    if (address === undefined) return { kept: value }
    return { kept: formatPeerAddress({ host: address, port: peer.port }) }
  }))
  verdicts.forEach((v, i) => {
    if ('kept' in v) {
      if (v.kept !== values[i]) out.changed = true
      if (!out.kept.includes(v.kept)) out.kept.push(v.kept)
    } else {
      out.dropped.push(v)
      out.changed = true
    }
  })
  return out
}

/** The part of a rejected value that is safe to log: no query, no user info, bounded length. */
function redact (value: string): string {
  return value.split(/[?#]/)[0]!.replace(/\/\/[^/@]*@/, '//').slice(0, 100)
}
