import dns from 'node:dns'
import { classifyIp, describeIp } from './ip-policy.js'

/**
 * Checks a host (an IP literal in any form, or a name) the way the SSRF guard needs: literals
 * are classified, names resolved (bounded in count, time and concurrency) and refused when any
 * answer is in a blocked range (ip-policy.ts). Used by the sanitiser, one checker per torrent.
 */

/** One address as `dns.promises.lookup(host, { all: true })` answers it. */
export interface LookupAddress { address: string, family: number }

/** Resolves a host name to all its addresses; tests inject one, production uses the system resolver. */
export type LookupFn = (hostname: string) => Promise<readonly LookupAddress[]>

export type DropReason = 'malformed' | 'scheme' | 'blocked' | 'unresolved' | 'timeout' | 'limit'

/** How hosts are checked and resolved. */
export interface HostCheckOptions {
  /** Skip the range check (LAN use, tests). Malformed entries are still dropped; nothing is resolved. */
  allowPrivate?: boolean
  /** Resolver; default `dns.promises.lookup(host, { all: true, verbatim: true })`. */
  lookup?: LookupFn
  /**
   * How long one lookup may take before its entry is dropped (default 2000). getaddrinfo
   * cannot be cancelled, so a timed-out lookup still holds a libuv thread until it ends.
   */
  lookupTimeoutMs?: number
  /** Most distinct host names resolved for one torrent; entries beyond are dropped (default 64). */
  maxHosts?: number
  /**
   * Lookups in flight at once for one torrent (default 4, the libuv pool size, which file I/O
   * shares). Worst case per torrent: ceil(maxHosts / concurrency) * lookupTimeoutMs.
   */
  concurrency?: number
}

/** What a host resolves to, or why it is refused. */
export type HostVerdict =
  | { ok: true, addresses: string[] }
  | { ok: false, reason: DropReason, detail: string }

/**
 * Checks one host (an IP literal in any form, or a name) under `options`. The sanitiser uses
 * one {@link HostChecker} per torrent instead, so each name is resolved once.
 */
export async function checkHost (host: string, options: HostCheckOptions = {}): Promise<HostVerdict> {
  return await new HostChecker(options).check(host)
}

/** Resolves and checks hosts for one torrent: cached per name, bounded in count and concurrency. */
export class HostChecker {
  readonly #allowPrivate: boolean
  readonly #lookup: LookupFn
  readonly #timeoutMs: number
  readonly #maxHosts: number
  readonly #concurrency: number
  readonly #cache = new Map<string, Promise<HostVerdict>>()
  #resolved = 0
  #active = 0
  readonly #queue: Array<() => void> = []

  constructor (options: HostCheckOptions) {
    this.#allowPrivate = options.allowPrivate ?? false
    this.#lookup = options.lookup ?? systemLookup
    this.#timeoutMs = options.lookupTimeoutMs ?? 2000
    this.#maxHosts = options.maxHosts ?? 64
    this.#concurrency = Math.max(1, options.concurrency ?? 4)
  }

  async check (host: string): Promise<HostVerdict> {
    const ip = classifyIp(host)
    if (ip !== undefined) {
      if (ip.blocked && !this.#allowPrivate) return { ok: false, reason: 'blocked', detail: `${ip.address} ${describeIp(ip)}` }
      return { ok: true, addresses: [ip.address] }
    }
    // As the WHATWG URL parser does: a name whose last label is a number must be an IPv4
    // address. Anything else numeric-looking is malformed, not something to ask DNS about.
    if (endsInNumber(host)) return { ok: false, reason: 'malformed', detail: 'numeric host that is not an IP address' }
    if (!isHostName(host)) return { ok: false, reason: 'malformed', detail: 'not a host name' }
    if (this.#allowPrivate) return { ok: true, addresses: [] }
    const key = host.toLowerCase()
    // RFC 6761: *.localhost is loopback. `localhost` itself is answered from /etc/hosts, as it
    // will be when WebTorrent connects; glibc would send the other forms to the network.
    if (key !== 'localhost' && /(^|\.)localhost\.?$/.test(key)) return { ok: false, reason: 'blocked', detail: 'localhost name' }
    let verdict = this.#cache.get(key)
    if (verdict === undefined) {
      if (this.#resolved >= this.#maxHosts) return { ok: false, reason: 'limit', detail: `more than ${this.#maxHosts} host names` }
      this.#resolved++
      verdict = this.#gate(async () => await this.#resolve(key))
      this.#cache.set(key, verdict)
    }
    return await verdict
  }

  async #resolve (host: string): Promise<HostVerdict> {
    let addresses: readonly LookupAddress[]
    let timer: NodeJS.Timeout | undefined
    try {
      addresses = await Promise.race([
        this.#lookup(host),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => { reject(new LookupTimeout()) }, this.#timeoutMs)
        })
      ])
    } catch (err) {
      if (err instanceof LookupTimeout) return { ok: false, reason: 'timeout', detail: `no answer in ${this.#timeoutMs} ms` }
      const code = (err as { code?: unknown }).code
      return { ok: false, reason: 'unresolved', detail: typeof code === 'string' ? code : String(err) }
    } finally {
      clearTimeout(timer)
    }
    if (addresses.length === 0) return { ok: false, reason: 'unresolved', detail: 'no addresses' }
    // One bad address is enough: the connection may pick any of them.
    for (const a of addresses) {
      const ip = classifyIp(a.address)
      if (ip === undefined) return { ok: false, reason: 'blocked', detail: `${a.address} is not an IP address` }
      if (ip.blocked) return { ok: false, reason: 'blocked', detail: `${ip.address} ${describeIp(ip)}` }
    }
    return { ok: true, addresses: addresses.map((a) => classifyIp(a.address)!.address) }
  }

  async #gate<T> (fn: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#concurrency) await new Promise<void>((resolve) => { this.#queue.push(resolve) })
    this.#active++
    try {
      return await fn()
    } finally {
      this.#active--
      this.#queue.shift()?.()
    }
  }
}

class LookupTimeout extends Error {}

const systemLookup: LookupFn = async (hostname) => await dns.promises.lookup(hostname, { all: true, verbatim: true })

function endsInNumber (host: string): boolean {
  const labels = host.split('.')
  if (labels.at(-1) === '' && labels.length > 1) labels.pop()
  const last = labels.at(-1) ?? ''
  return /^\d+$/.test(last) || /^0x[0-9a-f]*$/i.test(last)
}

/** Letters, digits, hyphen and underscore labels; 253 characters at most, an optional final dot. */
function isHostName (host: string): boolean {
  const name = host.endsWith('.') ? host.slice(0, -1) : host
  return name.length > 0 && name.length <= 253 &&
    name.split('.').every((l) => /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i.test(l))
}
