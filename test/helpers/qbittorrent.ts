/**
 * A real-world second seeder for tests: Debian's `qbittorrent-nox` (4.5.x,
 * libtorrent-rasterbar) run with a throw-away profile, WebUI and BitTorrent
 * listener on 127.0.0.1 only, all peer discovery off.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { AbortPolling, waitFor } from './async.js'
import { LOOPBACK, freePort } from './net.js'
import { makeMagnet, parseTorrentFile } from './webtorrent.js'

/** qbittorrent-nox binary; override with `QBITTORRENT_NOX`. */
export const QBITTORRENT_NOX: string = process.env.QBITTORRENT_NOX ?? '/usr/bin/qbittorrent-nox'

/** util-linux `setpriv`, used to tie qBittorrent's lifetime to the test process. */
const SETPRIV = '/usr/bin/setpriv'

/** A running qBittorrent seeder. */
export interface QbittorrentSeeder {
  /** `magnet:?xt=…&dn=…&x.pe=127.0.0.1:PORT`. */
  magnet: string
  infoHash: string
  name: string
  /** `"127.0.0.1:PORT"` of qBittorrent's BitTorrent listener. */
  peerAddress: string
  port: number
  /** Base URL of the WebUI, e.g. `http://127.0.0.1:PORT` (no auth needed from localhost). */
  webUiUrl: string
  /** Temporary profile directory (removed by `stop`). */
  profileDir: string
  pid: number
  /**
   * Call the WebUI API, e.g. `api('/api/v2/torrents/info')`. Throws on a
   * non-2xx status; returns the parsed JSON if the response is JSON, else text.
   */
  api (apiPath: string, init?: RequestInit): Promise<unknown>
  /** Shut qBittorrent down (API, then SIGTERM, then SIGKILL) and delete the profile. Idempotent. */
  stop (): Promise<void>
}

/** Options for {@link startQbittorrentSeeder}. */
export interface QbittorrentSeederOptions {
  /** Overall start-up + checking timeout in ms (default 60000). */
  timeoutMs?: number
  /** Per-torrent upload limit in bytes/s (default unlimited). */
  uploadLimit?: number
  /** Keep the profile directory on stop (for debugging; default false). */
  keepProfile?: boolean
}

/** Ports and paths for {@link qbittorrentConfig}. */
export interface QbittorrentConfigParams {
  btPort: number
  webUiPort: number
  defaultSavePath: string
}

/**
 * The `qBittorrent.conf` used for test instances (qBittorrent 4.5 keys,
 * verified against `/api/v2/app/preferences`): legal notice accepted, WebUI on
 * 127.0.0.1 without authentication for localhost, BitTorrent TCP-only on
 * 127.0.0.1, DHT/LSD/PeX/UPnP/NAT-PMP off, encryption allowed but not
 * required, several connections per IP allowed, unlimited upload slots,
 * GeoIP lookups (which would download a database) off.
 */
export function qbittorrentConfig (p: QbittorrentConfigParams): string {
  return [
    '[LegalNotice]',
    'Accepted=true',
    '',
    '[Network]',
    'PortForwardingEnabled=false',
    '',
    '[BitTorrent]',
    `Session\\Port=${p.btPort}`,
    `Session\\InterfaceAddress=${LOOPBACK}`,
    'Session\\Interface=',
    'Session\\InterfaceName=',
    'Session\\DHTEnabled=false',
    'Session\\LSDEnabled=false',
    'Session\\PeXEnabled=false',
    'Session\\Encryption=0',
    'Session\\BTProtocol=TCP',
    'Session\\MultiConnectionsPerIp=true',
    'Session\\MaxUploads=-1',
    'Session\\MaxUploadsPerTorrent=-1',
    'Session\\QueueingSystemEnabled=false',
    'Session\\AddTrackersEnabled=false',
    'Session\\AnonymousModeEnabled=false',
    `Session\\DefaultSavePath=${p.defaultSavePath}`,
    'Session\\TempPathEnabled=false',
    '',
    '[Preferences]',
    'WebUI\\Enabled=true',
    `WebUI\\Address=${LOOPBACK}`,
    `WebUI\\Port=${p.webUiPort}`,
    'WebUI\\UseUPnP=false',
    'WebUI\\LocalHostAuth=false',
    'WebUI\\AuthSubnetWhitelistEnabled=true',
    'WebUI\\AuthSubnetWhitelist=127.0.0.1/32',
    'WebUI\\CSRFProtection=false',
    'WebUI\\HostHeaderValidation=false',
    'Connection\\UPnP=false',
    'Connection\\ResolvePeerCountries=false',
    'General\\Locale=en',
    ''
  ].join('\n')
}

/** Children still running, killed if the test process exits without stopping them. */
const liveChildren = new Set<ChildProcess>()
let exitHookInstalled = false
function trackChild (child: ChildProcess): void {
  liveChildren.add(child)
  child.once('exit', () => liveChildren.delete(child))
  if (!exitHookInstalled) {
    exitHookInstalled = true
    process.once('exit', () => {
      for (const c of liveChildren) c.kill('SIGKILL')
    })
  }
}

/** Shape of one entry of `/api/v2/torrents/info` (only what is used). */
interface QbTorrentInfo {
  hash: string
  state: string
  progress: number
}

/** Shape of one entry of `/api/v2/log/main`. */
interface QbLogEntry {
  message: string
  type: number
}

const SEEDING_STATES = new Set(['uploading', 'stalledUP', 'forcedUP', 'queuedUP'])
const DOWNLOAD_STATES = new Set(['downloading', 'stalledDL', 'pausedDL', 'queuedDL', 'forcedDL', 'metaDL'])
const FATAL_STATES = new Set(['error', 'missingFiles', 'unknown'])

/** Wait for a child to exit, up to `ms`; resolves true if it exited. */
function waitExit (child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.removeListener('exit', onExit); resolve(false) }, ms)
    const onExit = (): void => { clearTimeout(timer); resolve(true) }
    child.once('exit', onExit)
  })
}

interface Instance {
  child: ChildProcess
  btPort: number
  webUiUrl: string
  output: () => string
  api: (apiPath: string, init?: RequestInit) => Promise<unknown>
  shutdown: () => Promise<void>
}

/** Start one qbittorrent-nox and wait until WebUI and BitTorrent listener are up. */
async function launch (profileDir: string, deadline: number): Promise<Instance> {
  const btPort = await freePort()
  let webUiPort = await freePort()
  while (webUiPort === btPort) webUiPort = await freePort()
  const configDir = path.join(profileDir, 'qBittorrent', 'config')
  const downloads = path.join(profileDir, 'downloads')
  await mkdir(configDir, { recursive: true })
  await mkdir(downloads, { recursive: true })
  await writeFile(path.join(configDir, 'qBittorrent.conf'),
    qbittorrentConfig({ btPort, webUiPort, defaultSavePath: downloads }))

  // setpriv --pdeathsig: qBittorrent gets SIGTERM if this test process dies
  // without stopping it (e.g. killed by tap's timeout), so it cannot linger.
  const [cmd, args]: [string, string[]] = existsSync(SETPRIV)
    ? [SETPRIV, ['--pdeathsig', 'TERM', '--', QBITTORRENT_NOX, `--profile=${profileDir}`]]
    : [QBITTORRENT_NOX, [`--profile=${profileDir}`]]
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOME: profileDir, XDG_CONFIG_HOME: profileDir, XDG_DATA_HOME: profileDir, XDG_CACHE_HOME: profileDir }
  })
  trackChild(child)
  let out = ''
  const collect = (chunk: Buffer): void => { out = (out + chunk.toString('utf8')).slice(-8000) }
  child.stdout?.on('data', collect)
  child.stderr?.on('data', collect)
  let spawnError: Error | undefined
  child.once('error', (err) => { spawnError = err })

  const webUiUrl = `http://${LOOPBACK}:${webUiPort}`
  const api = async (apiPath: string, init?: RequestInit): Promise<unknown> => {
    const res = await fetch(webUiUrl + apiPath, { ...init, signal: init?.signal ?? AbortSignal.timeout(10_000) })
    const body = await res.text()
    if (!res.ok) throw new Error(`qBittorrent ${apiPath}: HTTP ${res.status} ${body}`)
    return (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(body) as unknown : body
  }
  const exited = (): boolean => spawnError !== undefined || child.exitCode !== null || child.signalCode !== null
  const shutdown = async (): Promise<void> => {
    if (exited()) return
    try { await api('/api/v2/app/shutdown', { method: 'POST' }) } catch { /* fall through to signals */ }
    if (await waitExit(child, 10_000)) return
    child.kill('SIGTERM')
    if (await waitExit(child, 5_000)) return
    child.kill('SIGKILL')
    await waitExit(child, 5_000)
  }
  const inst: Instance = { child, btPort, webUiUrl, output: () => out, api, shutdown }

  try {
    const remaining = (): number => Math.max(1000, deadline - Date.now())
    await waitFor(async () => {
      if (exited()) throw new AbortPolling(`qbittorrent-nox exited early (${spawnError?.message ?? child.exitCode ?? child.signalCode}): ${out}`)
      return (await api('/api/v2/app/version')) !== ''
    }, { timeoutMs: remaining(), intervalMs: 100, what: 'qBittorrent WebUI' })
    // The BitTorrent listener reports success or failure in the log.
    await waitFor(async () => {
      if (exited()) throw new AbortPolling(`qbittorrent-nox exited early: ${out}`)
      const log = await api('/api/v2/log/main') as QbLogEntry[]
      for (const entry of log) {
        if (entry.message.includes('Failed to listen') && entry.message.includes(`TCP/${btPort}`)) throw new AbortPolling(`qBittorrent: ${entry.message}`)
      }
      return log.some((e) => e.message.includes('Successfully listening') && e.message.includes(`TCP/${btPort}`))
    }, { timeoutMs: remaining(), intervalMs: 100, what: `qBittorrent listening on TCP ${btPort}` })
  } catch (err) {
    await shutdown()
    throw err
  }
  return inst
}

/**
 * Seed an existing torrent's data with qBittorrent.
 *
 * `dataDir` must already contain the torrent's content in qBittorrent's /
 * WebTorrent's layout: a single-file torrent at `dataDir/<name>`, a multi-file
 * torrent under `dataDir/<name>/…`. The torrent is added through
 * `/api/v2/torrents/add` with `savepath=dataDir` and a full hash check; the
 * promise resolves once qBittorrent reports it as seeding (`uploading` /
 * `stalledUP`) with progress 1, and rejects quickly if the data does not match.
 * The torrent should carry no trackers (see `createTorrentFile`).
 *
 * @param torrent - path of a `.torrent` file, or its bytes.
 * @param dataDir - directory that holds the content (see above).
 */
export async function startQbittorrentSeeder (
  torrent: string | Uint8Array,
  dataDir: string,
  opts: QbittorrentSeederOptions = {}
): Promise<QbittorrentSeeder> {
  const torrentBytes = typeof torrent === 'string' ? await readFile(torrent) : Buffer.from(torrent)
  const info = await parseTorrentFile(torrentBytes)
  const savePath = path.resolve(dataDir)
  await stat(path.join(savePath, info.name)) // fail early if the content is not there

  const timeoutMs = opts.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  const profileDir = await mkdtemp(path.join(os.tmpdir(), 'tod-qbt-'))
  const removeProfile = async (): Promise<void> => {
    if (opts.keepProfile !== true) await rm(profileDir, { recursive: true, force: true })
  }

  let inst: Instance | undefined
  try {
    // A port picked by freePort() can be taken before qBittorrent binds it: retry with new ports.
    for (let attempt = 1; inst === undefined; attempt++) {
      try {
        inst = await launch(profileDir, deadline)
      } catch (err) {
        if (attempt >= 3 || Date.now() >= deadline) throw err
        await rm(path.join(profileDir, 'qBittorrent'), { recursive: true, force: true })
      }
    }
    const { api } = inst

    const form = new FormData()
    form.append('torrents', new Blob([torrentBytes], { type: 'application/x-bittorrent' }), `${info.infoHash}.torrent`)
    form.append('savepath', savePath)
    form.append('autoTMM', 'false')
    form.append('skip_checking', 'false')
    form.append('paused', 'false')
    form.append('contentLayout', 'Original')
    if (opts.uploadLimit !== undefined) form.append('upLimit', String(opts.uploadLimit))
    const added = await api('/api/v2/torrents/add', { method: 'POST', body: form })
    if (typeof added === 'string' && added.trim() !== 'Ok.') throw new Error(`qBittorrent refused the torrent: ${added}`)

    let inDownloadStateSince: number | undefined
    await waitFor(async () => {
      const list = await api(`/api/v2/torrents/info?hashes=${info.infoHash}`) as QbTorrentInfo[]
      const t = list[0]
      if (t === undefined) return false
      if (FATAL_STATES.has(t.state)) throw new AbortPolling(`qBittorrent torrent state ${t.state}; is the data under ${savePath}?`)
      if (SEEDING_STATES.has(t.state) && t.progress >= 1) return true
      if (DOWNLOAD_STATES.has(t.state)) {
        inDownloadStateSince ??= Date.now()
        if (Date.now() - inDownloadStateSince > 3000) {
          throw new AbortPolling(`qBittorrent checked the data under ${savePath} and found it incomplete (state ${t.state}, progress ${t.progress})`)
        }
      } else {
        inDownloadStateSince = undefined
      }
      return false
    }, { timeoutMs: Math.max(1000, deadline - Date.now()), intervalMs: 100, what: 'qBittorrent to seed' })
  } catch (err) {
    const output = inst?.output() ?? ''
    if (inst !== undefined) await inst.shutdown()
    await removeProfile()
    if (err instanceof Error && output !== '') err.message += `\nqbittorrent-nox output:\n${output}`
    throw err
  }

  const running = inst
  const peerAddress = `${LOOPBACK}:${running.btPort}`
  let stopped: Promise<void> | undefined
  return {
    magnet: makeMagnet(info.infoHash, info.name, [peerAddress]),
    infoHash: info.infoHash,
    name: info.name,
    peerAddress,
    port: running.btPort,
    webUiUrl: running.webUiUrl,
    profileDir,
    pid: running.child.pid ?? -1,
    api: running.api,
    stop: () => {
      stopped ??= running.shutdown().then(removeProfile)
      return stopped
    }
  }
}
