import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import t from 'tap'
import { schemaMarkdown } from '../../../src/config/config.js'

const MAIN = new URL('../../../dist/src/daemon/main.js', import.meta.url).pathname
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-cli-'))
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))

async function cli (...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  return await cliWith(process.env, ...args)
}

async function cliWith (env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number, stdout: string, stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { env })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number, stdout: string, stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

t.test('check-config: 0 for a valid file, non-zero naming key and file otherwise', async (t) => {
  const good = path.join(dir, 'good.json')
  fs.writeFileSync(good, JSON.stringify({ server: { port: 9000 } }))
  const ok = await cli('check-config', '--config', good)
  t.equal(ok.code, 0)
  t.match(ok.stdout, /configuration OK/)
  const bad = path.join(dir, 'bad.json')
  fs.writeFileSync(bad, JSON.stringify({ torrent: { shards: 'many' } }))
  const no = await cli('check-config', '--config', bad)
  t.not(no.code, 0)
  t.match(no.stderr, bad)
  t.match(no.stderr, 'torrent.shards')
})

t.test('the original single-dash flags work: -port 8081 -dir D', async (t) => {
  const out = await cli('check-config', '--print', '-port', '8081', '-dir', path.join(dir, 'dl'))
  t.equal(out.code, 0, out.stderr)
  const config = JSON.parse(out.stdout) as { server: { port: number }, torrent: { dir: string } }
  t.equal(config.server.port, 8081)
  t.equal(config.torrent.dir, path.join(dir, 'dl'))
})

t.test('--version and --help', async (t) => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.equal((await cli('--version')).stdout.trim(), pkg.version)
  const help = await cli('--help')
  for (const word of ['serve', 'check-config', 'reap', '--port', '--dir', '--config', '--allow-private-networks', 'LAN swarm']) t.match(help.stdout, word)
  t.match(help.stdout, /defaults < config file[\s\S]*\/etc\/tod-p2m\/config\.json[\s\S]*< environment[\s\S]*< these flags/, 'where settings come from')
  t.not((await cli('no-such-command')).code, 0)
})

t.test('docs/config.md is what the schema generates', async (t) => {
  const doc = fs.readFileSync(new URL('../../../docs/config.md', import.meta.url), 'utf8')
  t.equal(doc, schemaMarkdown(), 'regenerate with: node dist/src/daemon/main.js check-config --print-schema --markdown > docs/config.md')
  t.equal((await cli('check-config', '--print-schema', '--markdown')).stdout, doc)
})

t.test('--allow-private-networks sets security.allow_private_networks', async (t) => {
  const on = await cli('check-config', '--print', '--allow-private-networks')
  t.equal(on.code, 0, on.stderr)
  t.equal((JSON.parse(on.stdout) as { security: { allow_private_networks: boolean } }).security.allow_private_networks, true)
  // Not given: the environment's value stands (the flag does not default to false over it).
  const env = await cliWith({ ...process.env, TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS: 'true' }, 'check-config', '--print')
  t.equal((JSON.parse(env.stdout) as { security: { allow_private_networks: boolean } }).security.allow_private_networks, true)
})

t.test('check-config warns about misspelt TOD_P2M_ variables', async (t) => {
  const out = await cliWith({ ...process.env, TOD_P2M_SERVER_PROT: '9000' }, 'check-config')
  t.equal(out.code, 0, 'a warning, not an error')
  t.match(out.stderr, /unknown environment variable TOD_P2M_SERVER_PROT .*did you mean TOD_P2M_SERVER_PORT\?/)
})
