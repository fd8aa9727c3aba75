// The files packaging/deb turns into the .deb: the conffile is a config the daemon accepts, the
// man page documents every command and option the CLI has, the changelog is at the package
// version, and the maintainer scripts are valid sh doing what Debian admins expect.
// Building the .deb and installing it are in .ci/packaging (root only).
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import { promisify } from 'node:util'
import t from 'tap'
import { loadConfig } from '../../src/config/config.js'

const DEB = new URL('../../packaging/deb/', import.meta.url).pathname
const MAIN = new URL('../../dist/src/daemon/main.js', import.meta.url).pathname
const read = (name: string): string => fs.readFileSync(DEB + name, 'utf8')
const run = promisify(execFile)

t.test('config.json: valid for the daemon, sets the packaged folders and the usual settings', async (t) => {
  const raw = JSON.parse(read('config.json')) as { server: Record<string, unknown>, logging: Record<string, unknown>, torrent: Record<string, unknown> }
  for (const key of ['port', 'host']) t.ok(key in raw.server, `server.${key}`)
  for (const key of ['level', 'format']) t.ok(key in raw.logging, `logging.${key}`)
  const config = loadConfig({ file: DEB + 'config.json', env: {} })
  t.equal(config.torrent.dir, '/var/cache/tod-p2m')
  t.equal(config.torrent.state_dir, '/var/lib/tod-p2m')
  t.equal(config.server.host, '127.0.0.1', 'loopback until the admin opens it up')
  const { stdout } = await run(process.execPath, [MAIN, 'check-config', '--config', DEB + 'config.json'])
  t.match(stdout, /configuration OK/)
})

t.test('the man page documents every command and option of --help', async (t) => {
  const man = read('tod-p2m.1').replace(/\\-/g, '-')
  const words = new Set<string>()
  for (const args of [['--help'], ['check-config', '--help'], ['serve', '--help']]) {
    const { stdout } = await run(process.execPath, [MAIN, ...args])
    for (const m of stdout.matchAll(/^\s+(--[a-z-]+)/gm)) words.add(m[1] as string)
    for (const m of stdout.matchAll(/^\s+tod-p2m ([a-z-]+)/gm)) words.add(m[1] as string)
  }
  t.ok(words.size > 8, `found ${[...words].join(' ')}`)
  for (const word of words) t.match(man, word, `tod-p2m.1 mentions ${word}`)
  for (const section of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'EXIT STATUS', 'FILES', 'SIGNALS']) {
    t.match(man, new RegExp(`^\\.SH "?${section}`, 'm'), section)
  }
})

t.test('the man page renders without groff warnings', async (t) => {
  const page = read('tod-p2m.1').replace(/@VERSION@/g, '0.0.0')
  const tmp = fs.mkdtempSync('/tmp/tod-man-')
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }))
  fs.writeFileSync(`${tmp}/tod-p2m.1`, page)
  try {
    const { stderr } = await run('groff', ['-man', '-Tutf8', '-ww', '-z', `${tmp}/tod-p2m.1`])
    t.equal(stderr, '', 'no warnings')
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ENOENT') throw err
    t.plan(0, 'groff is not installed')
  }
})

t.test('changelog: the latest entry is the package.json version (npm run package:deb insists)', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  const top = /^tod-p2m \(([^)]+)\) /.exec(read('changelog'))?.[1]
  t.equal(top, pkg.version, 'add a packaging/deb/changelog entry when bumping the version')
})

t.test('maintainer scripts: valid sh, set -e, user kept, purge removes config, state and cache', async (t) => {
  for (const name of ['postinst', 'prerm', 'postrm']) {
    const text = read(name)
    await t.resolves(run('sh', ['-n', DEB + name]), `${name} parses`)
    t.match(text, /^#!\/bin\/sh\n/, `${name}: #!/bin/sh`)
    t.match(text, /^set -e$/m, `${name}: set -e`)
    t.ok((fs.statSync(DEB + name).mode & 0o111) !== 0, `${name} is executable`)
  }
  t.match(read('postinst'), /adduser --system --group/)
  t.match(read('postinst'), /\[ -d \/run\/systemd\/system \]/, 'starts the service only where systemd runs')
  const postrm = read('postrm')
  t.match(postrm, /rm -rf \/etc\/tod-p2m \/var\/lib\/tod-p2m \/var\/cache\/tod-p2m/)
  t.notMatch(postrm, /deluser|userdel/, 'the system user stays on purge')
  t.equal(read('conffiles').trim(), '/etc/tod-p2m/config.json')
})
