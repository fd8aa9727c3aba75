// The systemd unit (packaging/systemd/tod-p2m.service) holds what DESIGN.md section 8 asks of it,
// agrees with the packaged config and scores "OK" in systemd-analyze's offline security audit.
// The install, verify and run checks in a Debian chroot are in .ci/packaging (root only).
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { DEFAULT_CONFIG_FILE, loadConfig } from '../../src/config/config.js'

const UNIT = new URL('../../packaging/systemd/tod-p2m.service', import.meta.url).pathname
const CONFIG = new URL('../../packaging/deb/config.json', import.meta.url).pathname

/** Every `Key=value` of the unit, in order, by key (ExecReload and SystemCallFilter repeat). */
function parseUnit (text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';') || line.startsWith('[')) continue
    const eq = line.indexOf('=')
    const key = line.slice(0, eq)
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)])
  }
  return keys
}
const unit = parseUnit(fs.readFileSync(UNIT, 'utf8'))
const one = (key: string): string | undefined => unit.get(key)?.at(-1)

t.test('service shape: exec, reload checks the config before SIGHUP, mixed kill, restart policy', async (t) => {
  t.equal(one('Type'), 'exec')
  t.equal(one('ExecStart'), `/usr/bin/tod-p2m serve --config ${DEFAULT_CONFIG_FILE}`)
  t.same(unit.get('ExecReload'), [`/usr/bin/tod-p2m check-config --config ${DEFAULT_CONFIG_FILE}`, '/bin/kill -HUP $MAINPID'],
    'check-config runs first; systemd stops at the first ExecReload that fails')
  t.equal(one('KillMode'), 'mixed')
  t.ok(Number(one('TimeoutStopSec')) > 10, 'TimeoutStopSec leaves room for the 10 s drain')
  t.equal(one('Restart'), 'on-failure')
  t.ok(one('StartLimitIntervalSec') !== undefined && one('StartLimitBurst') !== undefined, 'a start limit')
  t.match(one('RestartPreventExitStatus') ?? '', /\b78\b/, 'a bad config (exit 78) is not restarted in a loop')
  t.equal(one('User'), 'tod-p2m')
  t.equal(one('Group'), 'tod-p2m')
  t.ok(Number(one('LimitNOFILE')) >= 65536)
  t.equal(one('WantedBy'), 'multi-user.target')
})

t.test('state, cache and runtime folders match the packaged config', async (t) => {
  t.equal(one('StateDirectory'), 'tod-p2m')
  t.equal(one('CacheDirectory'), 'tod-p2m')
  t.equal(one('RuntimeDirectory'), 'tod-p2m')
  const config = loadConfig({ file: CONFIG, env: {} })
  t.equal(config.torrent.state_dir, '/var/lib/tod-p2m', 'StateDirectory= is torrent.state_dir')
  t.equal(config.torrent.dir, '/var/cache/tod-p2m', 'CacheDirectory= is torrent.dir')
})

t.test('sandboxing: the list in DESIGN.md, and no MemoryDenyWriteExecute (V8 JIT)', async (t) => {
  const want: Record<string, string> = {
    NoNewPrivileges: 'yes',
    CapabilityBoundingSet: '',
    ProtectSystem: 'strict',
    ProtectHome: 'yes',
    PrivateTmp: 'yes',
    PrivateDevices: 'yes',
    ProtectKernelTunables: 'yes',
    ProtectKernelModules: 'yes',
    ProtectKernelLogs: 'yes',
    ProtectControlGroups: 'yes',
    ProtectProc: 'invisible',
    RestrictAddressFamilies: 'AF_UNIX AF_INET AF_INET6',
    RestrictNamespaces: 'yes',
    LockPersonality: 'yes',
    SystemCallArchitectures: 'native'
  }
  for (const [key, value] of Object.entries(want)) t.equal(one(key), value, key)
  t.equal(unit.get('SystemCallFilter')?.[0], '@system-service')
  t.ok(one('UMask') !== undefined, 'UMask')
  t.notOk(unit.has('MemoryDenyWriteExecute'), 'V8 needs writable+executable pages')
})

t.test('systemd-analyze security --offline scores it 2.0 or lower', async (t) => {
  let out: string
  try {
    out = (await promisify(execFile)('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT])).stdout
  } catch (err) {
    const e = err as { code?: unknown, stdout?: string }
    if (e.code === 'ENOENT') { t.plan(0, 'systemd-analyze is not installed'); return }
    out = e.stdout ?? ''
  }
  const score = /Overall exposure level for tod-p2m\.service: ([0-9.]+)/.exec(out)?.[1]
  t.ok(score !== undefined && Number(score) <= 2.0, `exposure ${score ?? out.slice(-500)} <= 2.0`)
})
