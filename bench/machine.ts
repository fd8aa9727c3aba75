/**
 * The facts a benchmark table needs beside it to mean anything: the machine, its load when
 * the run began, and the exact versions of everything measured.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** First line of a command's stdout, or `unknown`. */
function firstLine (cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]?.trim() || 'unknown'
  } catch {
    return 'unknown'
  }
}

/** First line of what a command prints on stderr (nginx -v writes its version there). */
function stderrLine (cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] })
  return r.stderr?.split('\n')[0]?.trim() || 'unknown'
}

/** "Debian GNU/Linux 12 (bookworm)" from /etc/os-release. */
function osName (): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? os.type()
  } catch {
    return os.type()
  }
}

/** The version field of an installed package of this project. */
function packageVersion (root: string, name: string): string {
  try {
    return (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** One line describing the machine: CPU, cores, memory, OS, kernel, Node, load average. */
export function describeMachine (): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU'
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  return `${os.cpus().length} × ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM, ${osName()}, Linux ${os.release()}, ` +
    `Node ${process.version}; load average at start ${load} (a shared machine: others' tests were running)`
}

/** Versions of the software measured and of the tools measuring. */
export function describeVersions (root: string, segmentedTool: string): string {
  let rev = 'unknown'
  try {
    rev = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim() !== ''
    if (dirty) rev += ' + uncommitted changes in src/'
  } catch { /* not a git checkout */ }
  return [
    `tod-p2m ${rev} (webtorrent ${packageVersion(root, 'webtorrent')})`,
    firstLine('qbittorrent-nox', ['--version']),
    stderrLine('/usr/sbin/nginx', ['-v']).replace('nginx version: ', ''),
    segmentedTool === 'aria2c' ? firstLine('aria2c', ['--version']) : 'segmented client: 8 curl range requests (aria2c not available)',
    firstLine('curl', ['--version']).split(' ').slice(0, 2).join(' ')
  ].join(', ')
}
