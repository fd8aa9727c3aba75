// Runs the TypeScript build only when a source is newer than the last build, so `npm start`
// is ready in seconds on a checkout that was built at install (`npm ci` runs `prepare`).
// Sources: src/, bench/, test/helpers/, tsconfig.json and package.json.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const stamp = path.join(root, 'dist', '.build-stamp')

function newest (p) {
  let st
  try { st = fs.statSync(p) } catch { return 0 }
  if (!st.isDirectory()) return st.mtimeMs
  let max = st.mtimeMs
  for (const name of fs.readdirSync(p)) max = Math.max(max, newest(path.join(p, name)))
  return max
}

const sources = Math.max(...['src', 'bench', 'test/helpers', 'tsconfig.json', 'package.json'].map((p) => newest(path.join(root, p))))
const built = fs.existsSync(stamp) ? fs.statSync(stamp).mtimeMs : 0
if (built >= sources && process.argv[2] !== '--force') process.exit(0)
const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc')
const res = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' })
if (res.status !== 0) process.exit(res.status ?? 1)
fs.mkdirSync(path.dirname(stamp), { recursive: true })
fs.writeFileSync(stamp, new Date().toISOString() + '\n')
