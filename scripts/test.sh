#!/usr/bin/env bash
# The one command that sets up and runs every test on a fresh Debian 12 machine (the README's
# test command; .ci/run calls it too):
#   1. the Debian packages the tests start (real peers, media tools, a browser, promtool):
#      installed with apt-get as root, or with `sudo -n` where that works; otherwise the
#      missing ones are named with the command to install them, and the run stops;
#   2. npm ci (which also builds dist/ and the sendfile addon) and npm run lint;
#   3. as root, npm run package:deb once (the image test and the packaging tests use that .deb);
#      then npm test (unit, end-to-end, fault, fleet and browser tests, tap);
#   4. as root, the packaging tests (.ci/packaging: the .deb, lintian, a Debian 12 chroot and a
#      booted systemd container); skipped with a note otherwise, or with TOD_P2M_SKIP_PACKAGING=1.
# Ends with one line "N passed, N failed" (tap's assertions plus the packaging checks) and exits
# non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

# ffmpeg: media fixtures and the HLS layer; qbittorrent-nox: a real libtorrent peer;
# prometheus: promtool lints a /metrics scrape (Debian has no smaller package with it);
# chromium: browser playback tests (driven by puppeteer-core, which never downloads a browser);
# build-essential and python3: npm's node-gyp compiles native/sendfile; nginx-light, haproxy and
# openssl: the fleet tests (two nodes behind each balancer, TLS); podman, runc and debootstrap:
# the container image test (the base image is made from Debian's mirror, .ci/container-base.sh);
# dpkg-dev and binutils: npm run package:deb.
packages=(ffmpeg qbittorrent-nox prometheus chromium build-essential python3 nginx-light haproxy openssl podman runc debootstrap dpkg-dev binutils)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2>/dev/null; then sudo=(sudo -n); else
    echo "missing Debian packages: ${missing[*]}"
    echo "install them with: sudo apt-get update && sudo apt-get install --no-install-recommends ${missing[*]}"
    echo "0 passed, 1 failed"
    exit 1
  fi
  echo "installing: ${missing[*]}"
  { "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || { echo "apt-get install ${missing[*]} failed"; echo "0 passed, 1 failed"; exit 1; }
fi

status=0
log=$(mktemp)
npm ci --no-audit --no-fund 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
lintfail=0
npm run lint || { lintfail=1; status=1; echo "not ok - npm run lint"; }

# As root the .deb is built once, here: the image test installs it into the container image
# (TOD_P2M_DEB) and the packaging tests check it (DEB), instead of each building its own.
packaging=1
if [ "$(id -u)" -ne 0 ] || [ "${TOD_P2M_SKIP_PACKAGING:-}" = 1 ]; then packaging=0; fi
debfail=0
if [ "$packaging" = 1 ]; then
  rm -f tod-p2m_*.deb
  if npm run package:deb >/tmp/tod-p2m-package-deb.log 2>&1; then
    deb=$(ls "$PWD"/tod-p2m_*_amd64.deb | head -n 1)
    export TOD_P2M_DEB=$deb DEB=$deb
    echo "ok - npm run package:deb: $deb"
  else
    tail -n 40 /tmp/tod-p2m-package-deb.log
    echo "not ok - npm run package:deb"
    debfail=1
    status=1
  fi
fi
npm test 2>&1 | tee "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

summary=$(grep -E '^# \{ total: [0-9]+' "$log" | tail -n 1)
if [ -z "$summary" ]; then
  echo "no test summary from tap (the build failed: see above)"
  echo "0 passed, 1 failed"
  exit 1
fi
pass=$(sed -E 's/.*pass: ([0-9]+).*/\1/' <<<"$summary"); [[ "$summary" == *"pass:"* ]] || pass=0
fail=$(sed -E 's/.*fail: ([0-9]+).*/\1/' <<<"$summary"); [[ "$summary" == *"fail:"* ]] || fail=0
[ "$fail" -gt 0 ] && status=1
echo "npm test: $pass passed, $fail failed"

ppass=0
pfail=0
if [ "$packaging" = 0 ]; then
  echo "packaging tests skipped (they need root: chroots, mounts, a network namespace)"
else
  plog=$(mktemp)
  # Into a file, not a pipe: a stray process keeping the output open cannot stall the run.
  bash .ci/packaging >"$plog" 2>&1 </dev/null || status=1
  cat "$plog"
  pline=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$plog" | tail -n 1)
  if [ -n "$pline" ]; then
    ppass=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$pline")
    pfail=$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$pline")
  else
    pfail=1
    status=1
  fi
fi

echo "$((pass + ppass)) passed, $((fail + pfail + lintfail + debfail)) failed"
exit "$status"
