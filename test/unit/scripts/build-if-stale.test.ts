import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'

// `npm start` runs scripts/build-if-stale.mjs first: it compiles only when a source is newer
// than the last build (issue 18: compiling on every start made the daemon take 27-44 s to be
// ready). Tried on a copy of the script in a small project of its own.
const repo = path.resolve(import.meta.dirname, '../../..')

function project (): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-build-'))
  fs.mkdirSync(path.join(dir, 'scripts'))
  fs.mkdirSync(path.join(dir, 'src'))
  fs.copyFileSync(path.join(repo, 'scripts/build-if-stale.mjs'), path.join(dir, 'scripts/build-if-stale.mjs'))
  fs.symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'))
  fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n')
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'nodenext', outDir: 'dist', rootDir: '.', types: [] }, include: ['src/**/*.ts'] }))
  fs.writeFileSync(path.join(dir, 'src/a.ts'), 'export const a: number = 1\n')
  return dir
}

function run (dir: string): { status: number | null, ms: number } {
  const started = Date.now()
  const res = spawnSync(process.execPath, [path.join(dir, 'scripts/build-if-stale.mjs')], { encoding: 'utf8' })
  return { status: res.status, ms: Date.now() - started }
}

t.test('builds a fresh checkout, skips an unchanged one, rebuilds after an edit', async (t) => {
  const dir = project()
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const out = path.join(dir, 'dist/src/a.js')
  t.equal(run(dir).status, 0)
  t.ok(fs.existsSync(out), 'the first run compiles')
  const builtAt = fs.statSync(out).mtimeMs
  t.equal(run(dir).status, 0)
  t.equal(fs.statSync(out).mtimeMs, builtAt, 'an unchanged checkout is not compiled again')
  // An edit a little later than the stamp (mtime granularity).
  const later = new Date(Date.now() + 2000)
  fs.writeFileSync(path.join(dir, 'src/a.ts'), 'export const a: number = 2\n')
  fs.utimesSync(path.join(dir, 'src/a.ts'), later, later)
  t.equal(run(dir).status, 0)
  t.match(fs.readFileSync(out, 'utf8'), /a = 2/, 'an edited source is compiled')
})

t.test('a type error fails the start with tsc\'s message', async (t) => {
  const dir = project()
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  fs.writeFileSync(path.join(dir, 'src/a.ts'), 'export const a: number = "x"\n')
  t.not(run(dir).status, 0)
  t.notOk(fs.existsSync(path.join(dir, 'dist/.build-stamp')), 'no stamp for a failed build')
})
