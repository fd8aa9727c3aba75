import dgram from 'node:dgram'
import dns from 'node:dns'
import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns'
import net from 'node:net'
import { Agent, buildConnector, setGlobalDispatcher } from 'undici'
import { TodError } from '../errors.js'
import { isBlockedIp } from './ip-policy.js'

/**
 * The second half of the SSRF guard, at connect time. The sanitiser checks a torrent's URLs
 * when it is added, but WebTorrent resolves host names again when it connects, so a name can
 * answer a public address to the check and a private one a second later (DNS rebinding), and a
 * public tracker or web seed can redirect to a private address. Here every connection of the
 * shard thread's HTTP client (global fetch: HTTP trackers, web seeds, `xs` sources, redirects
 * included) and every UDP tracker datagram is checked against the address it really goes to.
 */

/** A refused connection; its message names the address, never the URL (passkeys live in URLs). */
export class BlockedAddressError extends TodError<'TOD_ERR_BLOCKED_ADDRESS'> {
  constructor (address: string) {
    super('TOD_ERR_BLOCKED_ADDRESS', { address })
    this.name = 'BlockedAddressError'
  }
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void

/**
 * A `lookup` for net.connect and dgram sockets that resolves like the system does and refuses
 * when any answer is blocked (the connection goes to an address this check has seen).
 */
export function guardedLookup (isBlocked: (address: string) => boolean = isBlockedIp) {
  return (hostname: string, options: LookupOneOptions | LookupAllOptions | number | undefined, callback: LookupCallback): void => {
    const opts = typeof options === 'number' ? { family: options } : options ?? {}
    // dgram resolves its bind address through the same lookup, as the literal 0.0.0.0 or ::.
    // Only that literal spelling passes: a name that resolves to them is refused.
    const binding = hostname === '0.0.0.0' || hostname === '::'
    dns.lookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err !== null) { callback(err, []); return }
      const bad = binding ? undefined : addresses.find((a) => isBlocked(a.address))
      if (bad !== undefined) { callback(new BlockedAddressError(bad.address), []); return }
      if ((opts as { all?: boolean }).all === true) { callback(null, addresses); return }
      const first = addresses[0]
      if (first === undefined) { callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []); return }
      callback(null, first.address, first.family)
    })
  }
}

/**
 * An undici connector that refuses blocked IP literals before connecting and resolves names
 * through {@link guardedLookup} (net.connect skips `lookup` for literals).
 */
export function guardedConnector (isBlocked: (address: string) => boolean = isBlockedIp): buildConnector.connector {
  const connect = buildConnector({ lookup: guardedLookup(isBlocked) } as buildConnector.BuildOptions)
  return (opts, callback) => {
    const host = opts.hostname.replace(/^\[(.*)]$/, '$1')
    if (net.isIP(host) !== 0 && isBlocked(host)) {
      callback(new BlockedAddressError(host), null)
      return
    }
    connect(opts, callback)
  }
}

/**
 * Installs both checks in this thread: the global fetch dispatcher (Node's fetch honours
 * undici's global dispatcher), and a lookup on every UDP socket created here. UDP trackers
 * send to a host name, resolved per datagram; DHT talks to IP literals, which dgram does not
 * resolve, and its peers are filtered where they are added.
 */
export function installConnectGuard (isBlocked: (address: string) => boolean = isBlockedIp): void {
  setGlobalDispatcher(new Agent({ connect: guardedConnector(isBlocked) }))
  const createSocket = dgram.createSocket
  const lookup = guardedLookup(isBlocked)
  // The UDP tracker client builds its sockets with dgram.createSocket('udp4'); the only way to
  // give them a lookup is to supply it here, for this thread only.
  dgram.createSocket = ((type: dgram.SocketType | dgram.SocketOptions, listener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void) => {
    const options: dgram.SocketOptions = typeof type === 'string' ? { type } : type
    return createSocket({ lookup: lookup as dgram.SocketOptions['lookup'], ...options }, listener)
  }) as typeof dgram.createSocket
}
