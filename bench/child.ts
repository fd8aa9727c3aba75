/**
 * Starting and stopping the servers under test as child processes whose whole tree goes away
 * with them, even when the bench itself is killed.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import fs from 'node:fs'
import { processTree } from './proc-stats.js'

/** util-linux `setpriv`, which can ask the kernel to signal a child when its parent dies. */
const SETPRIV = '/usr/bin/setpriv'

/**
 * Spawns `cmd` so that it gets SIGKILL if the bench process dies without stopping it
 * (`setpriv --pdeathsig`, which execs: the child's pid is the command's own). Without
 * setpriv it is a plain spawn, and the cleanup stack is the only safety net.
 */
export function spawnTied (cmd: string, args: readonly string[], opts: SpawnOptions = {}): ChildProcess {
  return fs.existsSync(SETPRIV)
    ? spawn(SETPRIV, ['--pdeathsig', 'KILL', '--', cmd, ...args], opts)
    : spawn(cmd, [...args], opts)
}

/** Resolves true once `child` has exited, false if it is still running after `ms`. */
export async function exitedWithin (child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true
  return await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => { child.off('exit', onExit); resolve(false) }, ms)
    const onExit = (): void => { clearTimeout(timer); resolve(true) }
    child.once('exit', onExit)
  })
}

/**
 * Stops a child and everything it started: `signal` to the child, then after `graceMs`
 * SIGKILL to every process of the tree as it was before the signal (a supervisor's
 * front-ends could otherwise outlive it).
 */
export async function stopTree (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> {
  if (child.pid === undefined) return
  const tree = child.exitCode === null && child.signalCode === null ? processTree(child.pid) : []
  if (tree.length > 0) child.kill(signal)
  await exitedWithin(child, graceMs)
  for (const pid of [...tree, ...(child.pid !== undefined && child.exitCode === null ? processTree(child.pid) : [])]) {
    try {
      process.kill(pid, 0)
      process.kill(pid, 'SIGKILL')
    } catch { /* already gone */ }
  }
  await exitedWithin(child, 5_000)
}
