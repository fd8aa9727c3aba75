/**
 * A fleet for tests: tod-p2m nodes on fixed loopback ports (so a balancer config can name them
 * and a stopped node can come back at the same address), and nginx or HAProxy started from the
 * shipped example configs (packaging/fleet/) with only addresses, ports and paths replaced.
 */
import { spawn, execFileSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import readline from 'node:readline'
import { fileURLToPath } from 'node:url'
import { waitFor } from './async.js'
import { MAIN, TEST_DAEMON_ENV } from './daemon.js'
import { canConnect, LOOPBACK } from './net.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const NGINX_EXAMPLE = path.join(ROOT, 'packaging/fleet/nginx.conf')
export const HAPROXY_EXAMPLE = path.join(ROOT, 'packaging/fleet/haproxy.cfg')

export interface FleetNode {
  name: string
  port: number
  /** http://127.0.0.1:PORT, the node itself (not through the balancer). */
  base: string
  dir: string
  /** SIGTERM and wait for the exit; resolves the exit code. The data folder stays. */
  stop: () => Promise<number | null>
  /** A crash: SIGKILL to the supervisor; resolves once its front-ends are gone too (the port refuses). */
  kill: () => Promise<void>
}

export interface NodeOptions {
  name: string
  port: number
  dir: string
  env?: Record<string, string>
}

/**
 * The real daemon on 127.0.0.1:port (one front-end, one shard: the machine is small), with DHT,
 * LSD and NAT traversal off and private networks allowed (the seeders are on loopback), named
 * `name` (server.node_name); resolves once it listens.
 */
export async function startNode (opts: NodeOptions): Promise<FleetNode> {
  const proc = spawn(process.execPath, ['--openssl-legacy-provider', MAIN, 'serve', '--port', String(opts.port), '--host', LOOPBACK, '--dir', opts.dir, '--workers', '1', '--shards', '1'], {
    env: { ...process.env, ...TEST_DAEMON_ENV, TOD_P2M_SERVER_NODE_NAME: opts.name, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = new Promise<number | null>((resolve) => { proc.once('exit', (code) => { resolve(code) }) })
  await untilListening(proc, exited)
  let stopping: Promise<number | null> | undefined
  return {
    name: opts.name,
    port: opts.port,
    base: `http://${LOOPBACK}:${opts.port}`,
    dir: opts.dir,
    stop: async () => {
      stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
        const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000)
        const code = await exited
        clearTimeout(timer)
        return code
      })()
      return await stopping
    },
    kill: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL')
      await exited
      // The cluster front-ends notice their supervisor's death and exit on their own.
      await waitFor(async () => !(await canConnect(opts.port)), { timeoutMs: 15_000, what: `the front-ends of ${opts.name} to exit` })
    }
  }
}

async function untilListening (proc: ChildProcess, exited: Promise<number | null>): Promise<void> {
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const lines = readline.createInterface({ input: proc.stdout! })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`node not listening after 30 s: ${stderr.slice(-2000)}`)) }, 30_000)
    lines.on('line', (text) => {
      if (text.includes('"message":"listening"')) { clearTimeout(timer); resolve() }
    })
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`node exited (${code}) before listening: ${stderr.slice(-2000)}`)) })
  })
  // Keep reading its output so the pipe never fills.
  lines.on('line', () => {})
}

export interface Balancer {
  /** http://127.0.0.1:PORT */
  base: string
  /** https://localhost:PORT (the certificate is for localhost and 127.0.0.1). */
  tlsBase: string
  /** Its log (nginx: error.log; HAProxy: stdout and stderr). */
  log: () => string
  stop: () => Promise<void>
}

export interface BalancerOptions {
  /** Ports of the nodes on 127.0.0.1, in order. */
  nodes: number[]
  port: number
  tlsPort: number
  cert: Certificate
  /** A folder of its own (config, pid, logs, temp files). */
  prefix: string
}

/** The shipped nginx example with the nodes, ports and certificate of this test. */
export function nginxSite (opts: BalancerOptions): string {
  const text = fs.readFileSync(NGINX_EXAMPLE, 'utf8')
  const serverLine = /^( *)server 10\.0\.0\.\d+:8080( [^;]*)?;\n/gm
  const params = serverLine.exec(text)?.[2] ?? ''
  let first = true
  const out = text
    .replace(serverLine, (_line, indent: string) => {
      if (!first) return ''
      first = false
      return opts.nodes.map((p) => `${indent}server ${LOOPBACK}:${p}${params};\n`).join('')
    })
    .replace(/listen 80;/, `listen ${LOOPBACK}:${opts.port};`)
    .replace(/listen 443 ssl/, `listen ${LOOPBACK}:${opts.tlsPort} ssl`)
    .replace(/ssl_certificate \S+;/, `ssl_certificate ${opts.cert.certFile};`)
    .replace(/ssl_certificate_key \S+;/, `ssl_certificate_key ${opts.cert.keyFile};`)
  if (first) throw new Error(`no upstream server lines in ${NGINX_EXAMPLE}`)
  return out
}

/** nginx in the foreground with the example as its only site. */
export async function startNginx (opts: BalancerOptions): Promise<Balancer> {
  const p = opts.prefix
  for (const d of ['tmp', 'logs']) fs.mkdirSync(path.join(p, d), { recursive: true })
  fs.writeFileSync(path.join(p, 'tod-p2m.conf'), nginxSite(opts))
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${p}/tmp/${k};`).join('\n')
  fs.writeFileSync(path.join(p, 'nginx.conf'), `${process.getuid?.() === 0 ? 'user root;\n' : ''}worker_processes 1;
pid ${p}/nginx.pid;
error_log ${p}/logs/error.log info;
events { worker_connections 512; }
http {
  access_log ${p}/logs/access.log;
${temp}
  include ${p}/tod-p2m.conf;
}
`)
  execFileSync('nginx', ['-t', '-q', '-p', p, '-c', path.join(p, 'nginx.conf')], { stdio: 'pipe' })
  const proc = spawn('nginx', ['-p', p, '-c', path.join(p, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] })
  const log = (): string => readOr(path.join(p, 'logs/error.log'))
  return await running(proc, opts, log)
}

/** The shipped HAProxy example with the nodes, ports and certificate of this test. */
export function haproxyConfig (opts: BalancerOptions): string {
  const text = fs.readFileSync(HAPROXY_EXAMPLE, 'utf8')
  const serverLine = /^( *)server node\d+ 10\.0\.0\.\d+:8080([^\n]*)\n/gm
  let first = true
  const out = text
    .replace(serverLine, (_line, indent: string, params: string) => {
      if (!first) return ''
      first = false
      return opts.nodes.map((port, i) => `${indent}server node${i + 1} ${LOOPBACK}:${port}${params}\n`).join('')
    })
    .replace(/bind :80\n/, `bind ${LOOPBACK}:${opts.port}\n`)
    .replace(/bind :443 ssl crt \S+/, `bind ${LOOPBACK}:${opts.tlsPort} ssl crt ${opts.cert.pemFile}`)
  if (first) throw new Error(`no server lines in ${HAPROXY_EXAMPLE}`)
  return out
}

/** HAProxy in the foreground (-db) with the example config. */
export async function startHaproxy (opts: BalancerOptions): Promise<Balancer> {
  fs.mkdirSync(opts.prefix, { recursive: true })
  const file = path.join(opts.prefix, 'haproxy.cfg')
  fs.writeFileSync(file, haproxyConfig(opts))
  execFileSync('haproxy', ['-c', '-q', '-f', file], { stdio: 'pipe' })
  const proc = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  return await running(proc, opts, () => out)
}

async function running (proc: ChildProcess, opts: BalancerOptions, log: () => string): Promise<Balancer> {
  let stderr = ''
  proc.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  const exited = new Promise<void>((resolve) => { proc.once('exit', () => { resolve() }) })
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
  try {
    // A balancer has no readiness signal of its own: its ports accept.
    await waitFor(async () => proc.exitCode === null && await canConnect(opts.port) && await canConnect(opts.tlsPort), { timeoutMs: 15_000, what: 'the balancer to listen' })
  } catch (err) {
    await stop()
    throw new Error(`${(err as Error).message}: ${stderr}${log()}`.slice(0, 4000))
  }
  return { base: `http://${LOOPBACK}:${opts.port}`, tlsBase: `https://localhost:${opts.tlsPort}`, log, stop }
}

function readOr (file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

export interface Certificate {
  certFile: string
  keyFile: string
  /** Certificate and key in one file (HAProxy's `crt`). */
  pemFile: string
  /** The certificate, to trust as a CA. */
  cert: string
}

/** A self-signed certificate for localhost and 127.0.0.1, made with openssl in `dir`. */
export function selfSignedCertificate (dir: string): Certificate {
  fs.mkdirSync(dir, { recursive: true })
  const certFile = path.join(dir, 'cert.pem')
  const keyFile = path.join(dir, 'key.pem')
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'pipe' })
  const pemFile = path.join(dir, 'both.pem')
  const cert = fs.readFileSync(certFile, 'utf8')
  fs.writeFileSync(pemFile, cert + fs.readFileSync(keyFile, 'utf8'))
  return { certFile, keyFile, pemFile, cert }
}

/** A temporary folder. */
export function tempDir (tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tod-fleet-${tag}-`))
}
