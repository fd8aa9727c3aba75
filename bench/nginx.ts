/**
 * nginx (Debian's package) as the yardstick for serving a complete file: its own instance
 * with a config written into a temp prefix, on a free loopback port, never the system
 * service. Settings are Debian's defaults for static files (sendfile, tcp_nopush, one worker
 * per core); access logging is off, as no other contender writes a log line per request
 * to disk.
 */
import fs from 'node:fs'
import path from 'node:path'
import { AbortPolling, waitFor } from '../test/helpers/async.js'
import { freePort } from '../test/helpers/net.js'
import { spawnTied, stopTree } from './child.js'
import type { Cleanup } from './cleanup.js'

/** Debian's nginx binary. */
export const NGINX = '/usr/sbin/nginx'

/** A running nginx serving one file. */
export interface Nginx {
  url: string
  pid: number
  stop: () => Promise<void>
}

/** The nginx.conf: foreground master, 2 workers, one static server for `root`. */
function config (prefix: string, port: number, root: string): string {
  const tmp = (name: string): string => `${name}_temp_path ${path.join(prefix, `${name}-temp`)};`
  return `worker_processes auto;
daemon off;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  default_type application/octet-stream;
  ${tmp('client_body')} ${tmp('proxy')} ${tmp('fastcgi')} ${tmp('uwsgi')} ${tmp('scgi')}
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`
}

/** Starts nginx serving `file` from `prefix` (a fresh temp folder); stops with the cleanup stack too. */
export async function startNginx (file: string, prefix: string, cleanup: Cleanup): Promise<Nginx> {
  const port = await freePort()
  const conf = path.join(prefix, 'nginx.conf')
  fs.writeFileSync(conf, config(prefix, port, path.dirname(file)))
  // -e: the error log before the config is read would otherwise be /var/log/nginx/error.log.
  const child = spawnTied(NGINX, ['-p', prefix, '-c', conf, '-e', path.join(prefix, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-4000) })
  const stop = cleanup.defer('stop nginx', async () => { await stopTree(child, 'SIGTERM', 5_000) })
  const url = `http://127.0.0.1:${port}/${encodeURIComponent(path.basename(file))}`
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new AbortPolling(`nginx exited: ${stderr}`)
      const res = await fetch(url, { method: 'HEAD', signal: AbortSignal.timeout(2000) })
      if (res.status !== 200) throw new Error(`nginx HEAD ${res.status}: ${stderr}`)
      return true
    }, { timeoutMs: 15_000, intervalMs: 25, what: 'nginx to serve the file' })
  } catch (err) {
    await stop()
    throw err
  }
  return { url, pid: child.pid!, stop }
}
