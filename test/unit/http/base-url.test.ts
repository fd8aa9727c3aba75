import type { IncomingMessage } from 'node:http'
import t from 'tap'
import { baseUrl } from '../../../src/http/base-url.js'

const req = (remoteAddress: string, headers: Record<string, string>): IncomingMessage =>
  ({ socket: { remoteAddress }, headers } as unknown as IncomingMessage)

t.test('Host of the request by default', async (t) => {
  t.equal(baseUrl(req('10.0.0.5', { host: 'media.example:8080' }), []), 'http://media.example:8080')
})

t.test('X-Forwarded-* only from a configured proxy', async (t) => {
  const headers = { host: 'internal:8080', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'tv.example.org' }
  t.equal(baseUrl(req('203.0.113.9', headers), ['127.0.0.1']), 'http://internal:8080', 'a stranger cannot redirect playlist URLs')
  t.equal(baseUrl(req('127.0.0.1', headers), ['127.0.0.1']), 'https://tv.example.org')
  t.equal(baseUrl(req('::ffff:127.0.0.1', headers), ['127.0.0.1']), 'https://tv.example.org', 'v4-mapped peer')
  t.equal(baseUrl(req('127.0.0.1', { ...headers, 'x-forwarded-proto': 'gopher' }), ['127.0.0.1']), 'http://tv.example.org', 'only http/https')
})

t.test('a hostile Host header does not reach the URLs', async (t) => {
  t.equal(baseUrl(req('1.2.3.4', { host: 'evil"/><script>' }), []), 'http://localhost')
  t.equal(baseUrl(req('1.2.3.4', {}), []), 'http://localhost')
})
