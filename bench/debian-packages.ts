/**
 * The bench's system tools come from Debian's packages (nginx, aria2). A missing one is
 * installed with apt-get, as root can on these machines; the install does not start
 * services (this image's policy-rc.d refuses them, and the bench never uses the system
 * nginx service anyway: it runs its own instance with its own config).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** True when dpkg reports `pkg` as installed. */
export async function isInstalled (pkg: string): Promise<boolean> {
  try {
    // eslint-disable-next-line no-template-curly-in-string -- ${Status} is dpkg-query's own field syntax
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}', pkg])
    return stdout.trim() === 'install ok installed'
  } catch {
    return false // dpkg-query exits 1 for a package it has never heard of
  }
}

/**
 * Makes sure Debian package `pkg` is installed: `apt-get install -y`, and if that fails
 * (an old package list), `apt-get update` and once more. Resolves false when it could not
 * be installed, so the caller can fall back or skip.
 */
export async function ensurePackage (pkg: string, log: (line: string) => void): Promise<boolean> {
  if (await isInstalled(pkg)) return true
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const install = async (): Promise<void> => { await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, maxBuffer: 16 * 1024 * 1024 }) }
  log(`installing Debian package ${pkg}`)
  try {
    await install()
  } catch {
    try {
      await run('apt-get', ['update'], { env, maxBuffer: 16 * 1024 * 1024 })
      await install()
    } catch (err) {
      log(`could not install ${pkg}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`)
      return false
    }
  }
  return await isInstalled(pkg)
}
