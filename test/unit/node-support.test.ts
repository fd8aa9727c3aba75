import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'

// Issue 18: the README said "Node 20 or 22" while npm ci warned EBADENGINE, and nothing said
// which was true. package.json's engines, the README and the Node that runs the tests must agree.
const root = path.resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')

function version (v: string): number[] {
  return v.replace(/^v/, '').split('.').map(Number)
}

function atLeast (have: number[], want: number[]): boolean {
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0
    const b = want[i] ?? 0
    if (a !== b) return a > b
  }
  return true
}

t.test('engines.node is a lower bound the running Node meets', async (t) => {
  const m = /^>=(\d+\.\d+(?:\.\d+)?)$/.exec(pkg.engines.node)
  t.ok(m, `engines.node is ">=X.Y": ${pkg.engines.node}`)
  t.ok(atLeast(version(process.version), version(m?.[1] ?? '999')), `${process.version} satisfies ${pkg.engines.node}`)
})

t.test('the README states the same lower bound, Node 22, and why the EBADENGINE warning is harmless', async (t) => {
  const min = pkg.engines.node.replace('>=', '')
  t.match(readme, new RegExp(`Node ${min.replace(/\./g, '\\.')} or later`), 'the README names engines.node')
  t.match(readme, /Node 22/, 'and Node 22 (the .deb and the image)')
  t.match(readme, /EBADENGINE/, 'and explains the warning')
})
