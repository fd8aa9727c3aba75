/**
 * podman for the image tests. On these machines podman works only with runc (crun: "cgroups in
 * hybrid mode not supported"), host networking, rlimits it need not raise and no registry:
 * those flags are set here (docs/scaling.md). TOD_P2M_PODMAN_RUNTIME overrides the runtime
 * ("" for podman's default).
 */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const RUNTIME = process.env.TOD_P2M_PODMAN_RUNTIME ?? (fs.existsSync('/usr/sbin/runc') ? '/usr/sbin/runc' : '')
/** Global flags (before the subcommand). */
export const PODMAN_GLOBAL = RUNTIME === '' ? [] : ['--runtime', RUNTIME]
/** Flags for `podman run` and `podman build`. */
export const PODMAN_RUN = ['--network=host', '--ulimit', 'nofile=4096:4096', '--ulimit', 'nproc=4096:4096', '--pull=never']

export interface Result { code: number, stdout: string, stderr: string }

/** Runs podman with the global flags; never throws for a non-zero exit (see `code`). */
export async function podman (args: string[], timeoutMs = 120_000): Promise<Result> {
  return await run('podman', [...PODMAN_GLOBAL, ...args], timeoutMs)
}

async function run (cmd: string, args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<Result> {
  return await new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, env, cwd: ROOT }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1
      resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() })
    })
  })
}

/** Why the image tests cannot run here, or null when they can. */
export async function podmanMissing (): Promise<string | null> {
  if (process.platform !== 'linux') return 'not Linux'
  const version = await run('podman', ['--version'], 10_000).catch(() => null)
  if (version === null || version.code !== 0) return 'podman is not installed (apt-get install podman runc)'
  if (process.getuid?.() !== 0) return 'the image tests run podman as root'
  return null
}

/**
 * The image to test: TOD_P2M_IMAGE when set, else one built now with
 * packaging/fleet/build-image.sh on the base that .ci/container-base.sh makes (cached), from
 * the .deb at TOD_P2M_DEB when set (the packaging tests build one) or from a fresh .deb.
 * Resolves the image name and the seconds the build took.
 */
export async function testImage (): Promise<{ image: string, seconds: number, log: string }> {
  const given = process.env.TOD_P2M_IMAGE
  if (given !== undefined && given !== '') return { image: given, seconds: 0, log: '' }
  const started = Date.now()
  const base = await run('bash', [path.join(ROOT, '.ci/container-base.sh')], 900_000)
  if (base.code !== 0) throw new Error(`.ci/container-base.sh failed: ${base.stderr.slice(-3000)}`)
  const env = { ...process.env, PODMAN: ['podman', ...PODMAN_GLOBAL].join(' '), BUILD_FLAGS: PODMAN_RUN.join(' '), IMAGE: 'localhost/tod-p2m-test', DEB: process.env.TOD_P2M_DEB ?? '' }
  const built = await run('bash', [path.join(ROOT, 'packaging/fleet/build-image.sh')], 1_500_000, env)
  if (built.code !== 0) throw new Error(`build-image.sh failed: ${built.stderr.slice(-3000)}`)
  const image = built.stdout.trim().split('\n').at(-1) ?? ''
  return { image, seconds: Math.round((Date.now() - started) / 1000), log: built.stderr }
}
