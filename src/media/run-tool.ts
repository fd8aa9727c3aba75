import { once } from 'node:events'
import { TodError } from '../errors.js'
import { signalGroup, spawnOwned } from './children.js'

/** What a finished run printed. */
export interface ToolResult {
  stdout: string
  /** The last few KiB of stderr. */
  stderr: string
  code: number | null
}

const STDERR_TAIL = 4096

/**
 * Runs ffmpeg or ffprobe to completion with a deadline: past it the process group is killed
 * and TOD_ERR_MEDIA_TIMEOUT is thrown. A missing program is TOD_ERR_NO_FFMPEG.
 */
export async function runTool (program: string, args: readonly string[], deadlineMs: number, maxStdout = 64 * 1024 * 1024): Promise<ToolResult> {
  const child = spawnOwned(program, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  const spawned = once(child, 'spawn').then(() => null, (err: NodeJS.ErrnoException) => err)
  const out: Buffer[] = []
  let outBytes = 0
  let stderr = ''
  child.stdout?.on('data', (b: Buffer) => {
    outBytes += b.length
    if (outBytes > maxStdout) signalGroup(child, 'SIGKILL')
    else out.push(b)
  })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (s: string) => { stderr = (stderr + s).slice(-STDERR_TAIL) })
  const failed = await spawned
  if (failed !== null) throw toolMissing(program, failed)
  let timedOut = false
  const timer = setTimeout(() => { timedOut = true; signalGroup(child, 'SIGKILL') }, deadlineMs)
  const exited = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>
  const [code] = await exited
  clearTimeout(timer)
  if (timedOut) throw new TodError('TOD_ERR_MEDIA_TIMEOUT', { what: programName(program), seconds: Math.round(deadlineMs / 1000) })
  if (outBytes > maxStdout) throw new TodError('TOD_ERR_MEDIA_FAILED', { reason: `${programName(program)} printed more than ${maxStdout} bytes` })
  return { stdout: Buffer.concat(out).toString('utf8'), stderr, code }
}

/** TOD_ERR_NO_FFMPEG for a program that cannot be started, the cause kept for the log. */
export function toolMissing (program: string, err: NodeJS.ErrnoException): TodError {
  if (err.code === 'ENOENT' || err.code === 'EACCES') {
    return new TodError('TOD_ERR_NO_FFMPEG', { program: programName(program) }, { cause: err })
  }
  return new TodError('TOD_ERR_MEDIA_FAILED', { reason: `${programName(program)} could not be started (${err.code ?? 'unknown error'})` }, { cause: err })
}

function programName (program: string): string {
  return program.split('/').pop() ?? program
}
