// The connect-time SSRF check (src/security/connect-guard.ts): whatever a URL said when it was
// sanitised, the connection itself must not reach a non-public address — by IP literal, by a
// name that resolves to one (DNS rebinding), or through a redirect. Listeners on loopback
// count what reaches them.
import dgram from 'node:dgram'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { Agent, fetch } from 'undici'
import { guardedConnector, guardedLookup, installConnectGuard } from '../../../src/security/connect-guard.js'

let hits = 0
const target = http.createServer((_req, res) => { hits++; res.end('reached') })
await new Promise<void>((resolve) => target.listen(0, '127.0.0.2', resolve))
const targetPort = (target.address() as AddressInfo).port
// A "public" server (by the test policy below) that redirects to the private target.
const redirector = http.createServer((_req, res) => { res.writeHead(302, { Location: `http://127.0.0.2:${targetPort}/` }).end() })
await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve))
const redirectPort = (redirector.address() as AddressInfo).port
t.teardown(() => { target.close(); redirector.close() })

// Test policy: 127.0.0.1 stands for the public internet, everything else is private.
const onlyDotOne = (address: string): boolean => address !== '127.0.0.1'

t.test('an IP literal that is blocked is refused before connecting', async (t) => {
  const agent = new Agent({ connect: guardedConnector() })
  await t.rejects(fetch(`http://127.0.0.2:${targetPort}/`, { dispatcher: agent }))
  await t.rejects(fetch(`http://[::1]:${targetPort}/`, { dispatcher: agent }))
  t.equal(hits, 0, 'nothing reached the listener')
  await agent.close()
})

t.test('a name that resolves to a blocked address is refused (rebinding)', async (t) => {
  const agent = new Agent({ connect: guardedConnector() })
  const err = await fetch(`http://localhost:${targetPort}/`, { dispatcher: agent }).then(() => null, (e: Error) => e)
  t.ok(err, 'fetch failed')
  t.match(String((err as Error & { cause?: Error }).cause), /non-public address/, 'with the guard\'s reason')
  t.equal(hits, 0)
  await agent.close()
})

t.test('a redirect from an allowed server to a blocked one is refused', async (t) => {
  const agent = new Agent({ connect: guardedConnector(onlyDotOne) })
  await t.rejects(fetch(`http://127.0.0.1:${redirectPort}/`, { dispatcher: agent }))
  t.equal(hits, 0, 'the redirect target saw nothing')
  const direct = await fetch(`http://127.0.0.1:${redirectPort}/`, { dispatcher: agent, redirect: 'manual' })
  t.equal(direct.status, 302, 'the allowed server itself is reachable')
  await agent.close()
})

t.test('the guard lets allowed addresses through', async (t) => {
  const agent = new Agent({ connect: guardedConnector(() => false) })
  const res = await fetch(`http://localhost:${targetPort}/`, { dispatcher: agent }).catch(async () => await fetch(`http://127.0.0.2:${targetPort}/`, { dispatcher: agent }))
  t.equal(await res.text(), 'reached')
  t.equal(hits, 1)
  hits = 0
  await agent.close()
})

t.test('guardedLookup answers in both shapes net and dgram ask for', async (t) => {
  const lookup = guardedLookup(() => false)
  const one = await new Promise<[string, number | undefined]>((resolve, reject) => {
    lookup('127.0.0.1', { family: 4 }, (err, address, family) => { if (err !== null) reject(err); else resolve([address as string, family]) })
  })
  t.same(one, ['127.0.0.1', 4])
  const all = await new Promise<unknown>((resolve, reject) => {
    lookup('127.0.0.1', { all: true }, (err, addresses) => { if (err !== null) reject(err); else resolve(addresses) })
  })
  t.same(all, [{ address: '127.0.0.1', family: 4 }])
})

t.test('installed: global fetch and UDP sockets of the thread are guarded, binding still works', async (t) => {
  // The listener exists before the guard: after it, binding to a loopback address is refused too.
  let udpHits = 0
  const listener = dgram.createSocket('udp4')
  listener.on('message', () => { udpHits++ })
  await new Promise<void>((resolve) => listener.bind(0, '127.0.0.1', resolve))
  const port = listener.address().port

  installConnectGuard()
  await t.rejects(globalThis.fetch(`http://localhost:${targetPort}/`), 'global fetch goes through the guard')
  t.equal(hits, 0)
  const sender = dgram.createSocket('udp4')
  await new Promise<void>((resolve) => sender.bind(0, resolve)) // 0.0.0.0: the literal bind address passes
  const sent = await new Promise<Error | null>((resolve) => { sender.send(Buffer.from('hi'), port, 'localhost', (err) => { resolve(err) }) })
  t.match(String(sent), /non-public address/, 'a datagram to a name resolving to loopback is refused')
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(udpHits, 0, 'nothing arrived')
  sender.close()
  listener.close()
})
