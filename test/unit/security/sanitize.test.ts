import path from 'node:path'
import magnetDecode from 'magnet-uri'
import parseTorrent from 'parse-torrent'
import t from 'tap'
import { checkHost, sanitizeMagnet, sanitizeTorrentFile, sanitizeTorrentId } from '../../../src/security/sanitize.js'
import type { DroppedTarget, LookupAddress, LookupFn } from '../../../src/security/sanitize.js'

// There is no network here but loopback: every name except `localhost` goes to a fake resolver.
const IH = '2a7342b09ae2efd18290e989cfa7142dcc8edfe5'
const PUBLIC = '93.184.216.34'
const ZONE: Record<string, string[] | Error | 'hang'> = {
  'public.test': [PUBLIC, '2606:2800:220:1::248'],
  'peer.test': ['8.8.4.4'],
  'peer6.test': ['2a00:1450:4001:81b::200e'],
  // Some answers public, some not: the connection may pick either, so the name is refused.
  'rebind.test': [PUBLIC, '10.0.0.1'],
  'mapped.test': ['::ffff:127.0.0.1'],
  '127.0.0.1.nip.io': ['127.0.0.1'],
  'metadata.test': ['169.254.169.254'],
  'empty.test': [],
  'nxdomain.test': Object.assign(new Error('getaddrinfo ENOTFOUND nxdomain.test'), { code: 'ENOTFOUND' }),
  'slow.test': 'hang'
}

interface FakeResolver { lookup: LookupFn, calls: string[], maxActive: number }

function fakeResolver (): FakeResolver {
  const r: FakeResolver = { lookup: async () => [], calls: [], maxActive: 0 }
  let active = 0
  r.lookup = async (host) => {
    r.calls.push(host)
    const answer = ZONE[host]
    if (answer === undefined) throw new Error(`test resolver asked about an unexpected name: ${host}`)
    if (answer === 'hang') return await new Promise<never>(() => {})
    active++
    r.maxActive = Math.max(r.maxActive, active)
    await new Promise((resolve) => setTimeout(resolve, 5))
    active--
    if (answer instanceof Error) throw answer
    return answer.map((address): LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return r
}

const noLookup: LookupFn = async (host) => { throw new Error(`must not be resolved: ${host}`) }

// magnet-uri percent-decodes tr, ws, as and xs but not x.pe, so peer hints are written raw.
const magnet = (params: Array<[string, string]>): string =>
  `magnet:?xt=urn:btih:${IH}&dn=My+File.mkv` + params.map(([k, v]) => `&${k}=${k === 'x.pe' ? v : encodeURIComponent(v)}`).join('')

/** What WebTorrent reads out of a torrent id: parse-torrent, which uses magnet-uri for magnets. */
async function asWebTorrentSeesIt (id: string | Uint8Array): Promise<{ infoHash: string, announce: string[], urlList: string[], xs: string[], peers: string[], name: unknown }> {
  const p = await parseTorrent(id) as { infoHash: string, announce?: string[], urlList?: string[], xs?: string | string[], peerAddresses?: string[], name?: unknown }
  return { infoHash: p.infoHash, announce: p.announce ?? [], urlList: p.urlList ?? [], xs: ([] as string[]).concat(p.xs ?? []), peers: p.peerAddresses ?? [], name: p.name }
}

const byTarget = (dropped: DroppedTarget[]): Record<string, string> =>
  Object.fromEntries(dropped.map((d) => [`${d.field} ${d.target}`, `${d.reason}: ${d.detail}`]))

t.test('a magnet aimed at private targets through every field keeps only public ones', async (t) => {
  const r = fakeResolver()
  const input = magnet([
    ['tr', 'http://127.0.0.1:1/announce'],
    ['tr', 'udp://0x7f.1:2/announce'],
    ['tr', 'udp://2130706433:3'],
    ['tr', 'ws://[::1]:4/'],
    ['tr', 'wss://rebind.test/announce'],
    ['tr', 'http://[::ffff:7f00:1]:5/'],
    ['tr', 'http://0177.0.0.1:6/'],
    ['tr', 'https://127.1:7/'],
    ['tr', 'http://127.0.0.1.nip.io:8/'],
    ['tr', 'http://mapped.test/'],
    ['tr', 'ftp://public.test/'],
    ['tr', 'HTTP://public.test/'],
    ['tr', 'http://nxdomain.test/announce'],
    ['tr', 'http://empty.test/announce'],
    ['tr', 'udp://public.test:0'],
    ['tr', 'not a url'],
    ['tr', 'http://public.test/announce?passkey=SECRET'],
    ['tr', 'udp://public.test:6969/announce'],
    ['tr', 'wss://public.test'],
    ['ws', 'http://metadata.test/latest/meta-data/'],
    ['ws', 'https://public.test/seed/'],
    ['ws', 'udp://public.test/seed/'],
    ['as', 'http://[fe80::1]/x'],
    ['as', 'http://user:pw@public.test/alt'],
    ['xs', 'http://192.168.1.1/x.torrent'],
    ['xs', 'https://public.test/x.torrent'],
    ['x.pe', '127.0.0.1:22'],
    ['x.pe', '[::ffff:127.0.0.1]:22'],
    ['x.pe', '0x7f.1:22'],
    ['x.pe', '127.0.0.1.nip.io:22'],
    ['x.pe', 'peer.test:6881'],
    ['x.pe', 'peer6.test:6882'],
    ['x.pe', '8.8.8.8:6881'],
    ['x.pe', '8.8.8.8:0'],
    ['x.pe', 'nonsense'],
    ['x.pe', '127.0.0.1%3A23'] // magnet-uri does not decode x.pe: WebTorrent could not use this either
  ])
  const out = await sanitizeMagnet(input, { lookup: r.lookup })
  t.equal(out.infoHash, IH)
  t.equal(out.changed, true)
  const seen = await asWebTorrentSeesIt(out.torrentId)
  t.same(seen, {
    infoHash: IH,
    announce: ['http://public.test/announce?passkey=SECRET', 'udp://public.test:6969/announce', 'wss://public.test'],
    // magnet-uri writes kept `as` entries as `ws`: both are web seeds to WebTorrent
    urlList: ['https://public.test/seed/', 'http://user:pw@public.test/alt'],
    xs: ['https://public.test/x.torrent'],
    // host names pinned to the address that was checked
    peers: ['8.8.4.4:6881', '[2a00:1450:4001:81b::200e]:6882', '8.8.8.8:6881'],
    name: 'My File.mkv'
  })
  t.same(byTarget(out.dropped), {
    'tr http://127.0.0.1:1': 'blocked: 127.0.0.1 loopback',
    'tr udp://127.0.0.1:2': 'blocked: 127.0.0.1 loopback',
    'tr udp://127.0.0.1:3': 'blocked: 127.0.0.1 loopback',
    'tr ws://[::1]:4': 'blocked: ::1 loopback',
    'tr wss://rebind.test': 'blocked: 10.0.0.1 private',
    'tr http://[::ffff:7f00:1]:5': 'blocked: ::ffff:7f00:1 ipv4Mapped(127.0.0.1 loopback)',
    'tr http://127.0.0.1:6': 'blocked: 127.0.0.1 loopback',
    'tr https://127.0.0.1:7': 'blocked: 127.0.0.1 loopback',
    'tr http://127.0.0.1.nip.io:8': 'blocked: 127.0.0.1 loopback',
    'tr http://mapped.test': 'blocked: ::ffff:7f00:1 ipv4Mapped(127.0.0.1 loopback)',
    'tr ftp://public.test/': 'scheme: ftp: is not allowed here',
    'tr HTTP://public.test/': 'scheme: the scheme must be lower-case',
    'tr http://nxdomain.test': 'unresolved: ENOTFOUND',
    'tr http://empty.test': 'unresolved: no addresses',
    'tr udp://public.test:0': 'malformed: port 0',
    'tr not a url': 'malformed: not a URL',
    'ws http://metadata.test': 'blocked: 169.254.169.254 linkLocal',
    'ws udp://public.test/seed/': 'scheme: udp: is not allowed here',
    'as http://[fe80::1]': 'blocked: fe80::1 linkLocal',
    'xs http://192.168.1.1': 'blocked: 192.168.1.1 private',
    'x.pe 127.0.0.1:22': 'blocked: 127.0.0.1 loopback',
    'x.pe [::ffff:127.0.0.1]:22': 'blocked: ::ffff:7f00:1 ipv4Mapped(127.0.0.1 loopback)',
    'x.pe 0x7f.1:22': 'blocked: 127.0.0.1 loopback',
    'x.pe 127.0.0.1.nip.io:22': 'blocked: 127.0.0.1 loopback',
    'x.pe 8.8.8.8:0': 'malformed: port outside 1-65535',
    'x.pe nonsense': 'malformed: not host:port',
    'x.pe 127.0.0.1%3A23': 'malformed: not host:port'
  })
  t.notOk(JSON.stringify(out.dropped).includes('SECRET') || JSON.stringify(out.dropped).includes('pw@'), 'no query or user info in drop records')
  // Numeric hosts are never sent to the resolver; each name is resolved once.
  t.same([...r.calls].sort(), ['127.0.0.1.nip.io', 'empty.test', 'mapped.test', 'metadata.test', 'nxdomain.test', 'peer.test', 'peer6.test', 'public.test', 'rebind.test'])
  t.ok(r.maxActive <= 4, `at most 4 lookups at once (saw ${r.maxActive})`)
})

t.test('a clean magnet comes back unchanged, the same string', async (t) => {
  const input = magnet([['tr', 'udp://public.test:6969/announce'], ['x.pe', '8.8.8.8:6881'], ['ws', 'https://public.test/seed']])
  const out = await sanitizeTorrentId(input, { lookup: fakeResolver().lookup })
  t.same(out, { torrentId: input, infoHash: IH, dropped: [], changed: false })
  const bare = `magnet:?xt=urn:btih:${IH}`
  t.same(await sanitizeMagnet(bare, { lookup: noLookup }), { torrentId: bare, infoHash: IH, dropped: [], changed: false })
})

t.test('a rewritten magnet keeps its xt as given (base32 gains no hex twin) and its other parameters', async (t) => {
  const b32 = 'FJZUFME24LX5DAUQ5GE47JYUFXGI5X7F'
  const pk = 'a'.repeat(64)
  const input = `magnet:?xt=urn:btih:${b32}&dn=x&tr=${encodeURIComponent('http://10.0.0.1/a')}&xs=urn:btpk:${pk}&xs=${encodeURIComponent('https://public.test/t')}&so=0-2,4&ix=1&xl=123`
  const out = await sanitizeMagnet(input, { lookup: fakeResolver().lookup })
  t.equal(out.infoHash, IH)
  t.equal(out.torrentId.match(/xt=/g)?.length, 1, 'one xt')
  t.match(out.torrentId, `xt=urn:btih:${b32}`)
  const d = magnetDecode(out.torrentId)
  t.same(d.xs, [`urn:btpk:${pk}`, 'https://public.test/t'], 'urn:btpk is kept next to the http source')
  t.same(d.announce, [])
  t.same([d.so, d.ix, d.xl], [[0, 1, 2, 4], 1, '123'])
})

t.test('allowPrivate keeps private targets, resolves nothing, still drops malformed ones', async (t) => {
  const input = magnet([
    ['tr', 'http://127.0.0.1:1/announce'],
    ['tr', 'udp://localhost:2'],
    ['tr', 'http://some.lan.name/announce'],
    ['tr', 'gopher://127.0.0.1/'],
    ['tr', 'udp://1.2.3.4.5:80'],
    ['x.pe', '1.2.3.4.5:80'],
    ['ws', 'http://[fd00::1]/'],
    ['x.pe', '127.0.0.1:22'],
    ['x.pe', 'box.local:6881'],
    ['x.pe', '127.0.0.1:99999']
  ])
  const out = await sanitizeMagnet(input, { allowPrivate: true, lookup: noLookup })
  const seen = await asWebTorrentSeesIt(out.torrentId)
  t.same(seen.announce, ['http://127.0.0.1:1/announce', 'udp://localhost:2', 'http://some.lan.name/announce'])
  t.same(seen.urlList, ['http://[fd00::1]/'])
  t.same(seen.peers, ['127.0.0.1:22', 'box.local:6881'], 'names are not pinned when nothing was resolved')
  t.same(byTarget(out.dropped), {
    'tr gopher://127.0.0.1/': 'scheme: gopher: is not allowed here',
    'tr udp://1.2.3.4.5:80': 'malformed: not a URL', // the WHATWG parser refuses it
    'x.pe 1.2.3.4.5:80': 'malformed: numeric host that is not an IP address',
    'x.pe 127.0.0.1:99999': 'malformed: port outside 1-65535'
  })
  // The same magnet with the range check on: the LAN names resolve to LAN addresses.
  const lanZone: Record<string, string> = { localhost: '127.0.0.1', 'some.lan.name': '192.168.1.10', 'box.local': '192.168.1.11' }
  const strict = await sanitizeMagnet(input, {
    lookup: async (h) => lanZone[h] !== undefined ? [{ address: lanZone[h], family: 4 }] : await noLookup(h)
  })
  const strictSeen = await asWebTorrentSeesIt(strict.torrentId)
  t.same([strictSeen.announce, strictSeen.urlList, strictSeen.peers], [[], [], []])
  t.equal(strict.dropped.filter((d) => d.reason === 'blocked').length, 6)
})

t.test('localhost is resolved for real (from /etc/hosts, no network) and refused', async (t) => {
  const input = magnet([['tr', 'http://localhost:1/announce'], ['x.pe', 'localhost:22'], ['tr', 'udp://LocalHost.:3']])
  const out = await sanitizeMagnet(input) // the system resolver
  t.same((await asWebTorrentSeesIt(out.torrentId)).announce, [])
  t.same(out.dropped.map((d) => [d.field, d.target, d.reason]), [
    ['tr', 'http://localhost:1', 'blocked'],
    ['tr', 'udp://localhost.:3', 'blocked'], // by name: the resolver would ask the network
    ['x.pe', 'localhost:22', 'blocked']
  ])
  t.match(out.dropped[0]?.detail, /^(127\.0\.0\.1|::1) loopback$/)
  const lan = await sanitizeMagnet(input, { allowPrivate: true })
  t.same((await asWebTorrentSeesIt(lan.torrentId)).announce, ['http://localhost:1/announce', 'udp://LocalHost.:3'])
  t.equal(lan.changed, false)
  const v = await checkHost('localhost')
  t.match(v, { ok: false, reason: 'blocked' })
  t.same(await checkHost('localhost', { allowPrivate: true }), { ok: true, addresses: [] })
})

t.test('*.localhost names are loopback by definition and never resolved', async (t) => {
  const out = await sanitizeMagnet(magnet([['tr', 'http://tracker.localhost/announce'], ['x.pe', 'a.b.localhost.:1']]), { lookup: noLookup })
  t.same(out.dropped.map((d) => `${d.reason}: ${d.detail}`), ['blocked: localhost name', 'blocked: localhost name'])
})

t.test('a resolver that does not answer in time drops the entry', async (t) => {
  const r = fakeResolver()
  const started = Date.now()
  const out = await sanitizeMagnet(magnet([['tr', 'http://slow.test/announce'], ['tr', 'http://public.test/a']]), { lookup: r.lookup, lookupTimeoutMs: 50 })
  t.ok(Date.now() - started < 1000)
  t.same(byTarget(out.dropped), { 'tr http://slow.test': 'timeout: no answer in 50 ms' })
  t.same((await asWebTorrentSeesIt(out.torrentId)).announce, ['http://public.test/a'])
})

t.test('the number of names resolved per torrent is bounded, and so is concurrency', async (t) => {
  const names = Array.from({ length: 10 }, (_, i) => `n${i}.test`)
  let active = 0
  let maxActive = 0
  const lookup: LookupFn = async () => {
    active++
    maxActive = Math.max(maxActive, active)
    await new Promise((resolve) => setTimeout(resolve, 5))
    active--
    return [{ address: PUBLIC, family: 4 }]
  }
  const out = await sanitizeMagnet(magnet(names.map((n) => ['tr', `http://${n}/a`])), { lookup, maxHosts: 6, concurrency: 2 })
  t.equal((await asWebTorrentSeesIt(out.torrentId)).announce.length, 6)
  t.equal(out.dropped.length, 4)
  t.ok(out.dropped.every((d) => d.reason === 'limit'))
  t.equal(maxActive, 2)
})

t.test('malformed magnets are TOD_ERR_BAD_MAGNET', async (t) => {
  for (const bad of ['', 'http://x/y.torrent', 'magnet:?dn=no-xt', 'magnet:?xt=urn:btih:' + IH + '&tr=%E0%A4%A']) {
    await t.rejects(sanitizeMagnet(bad, { lookup: noLookup }), { name: 'TodError', code: 'TOD_ERR_BAD_MAGNET' }, JSON.stringify(bad))
  }
})

// ---------------------------------------------------------------------------------------------

interface CreateOptions { name: string, announceList: string[][], urlList?: string[], pieceLength?: number }

const createTorrentSpecifier: string = 'create-torrent' // untyped, hence the typed import
const { default: createTorrent } = await import(createTorrentSpecifier) as {
  default: (input: Buffer, opts: object, cb: (err: Error | null, torrent: Uint8Array) => void) => void
}

async function makeTorrent (opts: CreateOptions): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    // announceList given explicitly: create-torrent otherwise adds public trackers.
    createTorrent(Buffer.from('hello hostile world\n'.repeat(2000)), { createdBy: 'tod-p2m tests', creationDate: new Date('2024-01-01T00:00:00Z'), comment: 'c', ...opts },
      (err, torrent) => { err !== null && err !== undefined ? reject(err) : resolve(Buffer.from(torrent)) })
  })
}

t.test('a .torrent: announce-list and url-list are cleaned, the info dictionary is untouched', async (t) => {
  const input = await makeTorrent({
    name: 'hostile.bin',
    announceList: [['http://127.0.0.1:1/announce', 'udp://public.test:6969'], ['udp://[::1]:2'], ['http://public.test/announce'], ['wss://rebind.test']],
    urlList: ['http://10.0.0.1/seed/', 'https://public.test/seed/', 'http://0x7f.1/']
  })
  const before = await parseTorrent(input) as { infoHash: string, infoBuffer: Uint8Array, announce: string[], created: Date }
  t.equal(before.announce.length, 5)
  const out = await sanitizeTorrentId(input, { lookup: fakeResolver().lookup })
  t.ok(Buffer.isBuffer(out.torrentId))
  t.equal(out.changed, true)
  t.equal(out.infoHash, before.infoHash)
  const after = await parseTorrent(out.torrentId) as { infoHash: string, infoBuffer: Uint8Array, announce: string[], urlList: string[], comment: string, created: Date, createdBy: string }
  t.equal(after.infoHash, before.infoHash, 'same info-hash')
  t.same(after.announce, ['udp://public.test:6969', 'http://public.test/announce'])
  t.same(after.urlList, ['https://public.test/seed/'])
  t.same([after.comment, after.createdBy, after.created.getTime()], ['c', 'tod-p2m tests', before.created.getTime()], 'other top-level keys survive')
  // The info dictionary's bytes appear verbatim in both files.
  t.ok(input.includes(Buffer.from(before.infoBuffer)), 'info bytes are in the input')
  t.ok(out.torrentId.includes(Buffer.from(before.infoBuffer)), 'and unchanged in the output')
  t.same(byTarget(out.dropped), {
    'announce http://127.0.0.1:1': 'blocked: 127.0.0.1 loopback',
    'announce udp://[::1]:2': 'blocked: ::1 loopback',
    'announce wss://rebind.test': 'blocked: 10.0.0.1 private',
    'url-list http://10.0.0.1': 'blocked: 10.0.0.1 private',
    'url-list http://127.0.0.1': 'blocked: 127.0.0.1 loopback'
  })
})

t.test('a .torrent with a lone `announce` key (no announce-list) is cleaned too', async (t) => {
  const input = bencode({ announce: 'http://127.0.0.1:9/announce', info: { length: 1, name: 'x', 'piece length': 16384, pieces: Buffer.alloc(20) } })
  const out = await sanitizeTorrentFile(input, { lookup: noLookup })
  t.same((await asWebTorrentSeesIt(out.torrentId)).announce, [])
  t.equal(out.dropped.length, 1)
})

t.test('a clean .torrent comes back as the same Buffer; allowPrivate keeps loopback trackers', async (t) => {
  const input = await makeTorrent({ name: 'clean.bin', announceList: [['udp://public.test:6969']] })
  const out = await sanitizeTorrentFile(input, { lookup: fakeResolver().lookup })
  t.equal(out.torrentId, input)
  t.equal(out.changed, false)
  const lan = await makeTorrent({ name: 'lan.bin', announceList: [['http://127.0.0.1:1/announce']], urlList: ['http://192.168.1.2/'] })
  const kept = await sanitizeTorrentFile(lan, { allowPrivate: true, lookup: noLookup })
  t.equal(kept.torrentId, lan)
  const dropped = await sanitizeTorrentFile(lan, { lookup: noLookup })
  t.same((await asWebTorrentSeesIt(dropped.torrentId)).announce, [])
  t.same((await asWebTorrentSeesIt(dropped.torrentId)).urlList, [])
})

t.test('input that is not a .torrent is TOD_ERR_BAD_TORRENT', async (t) => {
  for (const bad of [Buffer.alloc(0), Buffer.alloc(20), Buffer.from('d4:infod4:name1:xee'), Buffer.from('not bencode'), new Uint8Array([0x64])]) {
    await t.rejects(sanitizeTorrentFile(bad, { lookup: noLookup }), { name: 'TodError', code: 'TOD_ERR_BAD_TORRENT' })
  }
})

t.test('hostile file names: what parse-torrent (so WebTorrent) makes of them', async (t) => {
  // File paths are not this module's business (the engine checks each resolved path stays
  // under <dir>/<infoHash>/); this records what arrives there. parse-torrent builds each path
  // as path.join('/', name, ...parts).slice(1): `..` cannot climb above the torrent's own
  // folder, absolute parts become relative, but the result may leave <name>/, be empty, or
  // carry NUL (on which fs throws synchronously).
  const file = (...parts: string[]): { length: number, path: Buffer[] } => ({ length: 1, path: parts.map((p) => Buffer.from(p)) })
  const input = bencode({
    'announce-list': [],
    info: {
      name: '..',
      'piece length': 16384,
      pieces: Buffer.alloc(20),
      files: [
        file('..', '..', 'etc', 'passwd'),
        file('/abs', 'x'),
        file('..\\..\\win.ini'),
        file('a/../../../b'),
        file('a\u0000b', 'c'),
        file('..'),
        file('ok', 'fine.txt')
      ]
    }
  })
  const out = await sanitizeTorrentFile(input, { lookup: noLookup })
  t.equal(out.changed, false, 'no URLs, nothing to clean')
  const parsed = await parseTorrent(out.torrentId) as { name: string, files: Array<{ path: string, name: string }> }
  t.equal(parsed.name, '..')
  t.same(parsed.files.map((f) => [f.path, f.name]), [
    ['etc/passwd', 'passwd'], // `..` clamped at the torrent folder, not at <name>/
    ['abs/x', 'x'], // absolute part made relative
    ['..\\..\\win.ini', '..\\..\\win.ini'], // backslashes are name characters on POSIX
    ['b', 'a/../../../b'], // the name keeps the raw component, slashes and all
    ['a\u0000b/c', 'c'], // NUL survives
    ['', '..'], // empty: the torrent folder itself; the engine must refuse it
    ['ok/fine.txt', 'fine.txt']
  ])
  const root = path.resolve('/data', IH)
  for (const f of parsed.files) {
    const p = path.resolve(root, f.path)
    t.ok(p === root || p.startsWith(root + path.sep), `${JSON.stringify(f.path)} stays under <dir>/<infoHash>/`)
  }
})

/** Minimal bencode for hand-made hostile .torrents (create-torrent will not write these). */
function bencode (v: unknown): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`)
  if (typeof v === 'string' || Buffer.isBuffer(v)) {
    const b = Buffer.isBuffer(v) ? v : Buffer.from(v)
    return Buffer.concat([Buffer.from(`${b.length}:`), b])
  }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')])
  const o = v as Record<string, unknown>
  return Buffer.concat([Buffer.from('d'), ...Object.keys(o).sort().flatMap((k) => [bencode(k), bencode(o[k])]), Buffer.from('e')])
}
