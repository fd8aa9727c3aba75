// compose.yaml cannot run here (no compose tool, no registry for the nginx image): its shape is
// checked, and its nginx site must be the tested packaging/fleet/nginx.conf with only the
// upstream servers changed and the TLS server left out.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import YAML from 'yaml'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const read = (p: string): string => fs.readFileSync(path.join(root, p), 'utf8')

interface Service { image?: string, environment?: Record<string, string>, volumes?: string[], ports?: string[], depends_on?: Record<string, unknown>, stop_grace_period?: string }

t.test('compose.yaml: two nodes with their own volumes and names behind nginx', async (t) => {
  const compose = YAML.parse(read('compose.yaml'), { merge: true }) as { services: Record<string, Service> }
  const { node1, node2, balancer } = compose.services
  for (const [name, node] of [['node1', node1], ['node2', node2]] as const) {
    t.equal(node?.image, 'localhost/tod-p2m:latest')
    t.equal(node?.environment?.TOD_P2M_SERVER_NODE_NAME, name)
    t.equal(node?.environment?.TOD_P2M_SERVER_HASH_ROUTING, 'true')
    t.equal(node?.environment?.TOD_P2M_SERVER_PUBLIC_URL, 'http://localhost:8080')
    t.same(node?.volumes, [`${name}-data:/var/cache/tod-p2m`, `${name}-state:/var/lib/tod-p2m`])
    t.equal(node?.stop_grace_period, '10s')
  }
  t.same(balancer?.volumes, ['./packaging/fleet/compose/nginx.conf:/etc/nginx/conf.d/default.conf:ro'])
  t.same(Object.keys(balancer?.depends_on ?? {}).sort(), ['node1', 'node2'])
})

t.test('its nginx site is packaging/fleet/nginx.conf with the compose services as upstreams', async (t) => {
  const example = read('packaging/fleet/nginx.conf')
  const site = read('packaging/fleet/compose/nginx.conf')
  const body = example.slice(example.indexOf('map $uri'), example.indexOf('server {\n    listen 443'))
    .replace(/server 10\.0\.0\.11:8080/, 'server node1:8080').replace(/server 10\.0\.0\.12:8080/, 'server node2:8080')
  t.equal(site.slice(site.indexOf('map $uri')).trimEnd(), body.trimEnd())
})
