#!/bin/sh
# tod-p2m runs on the Node.js 22 runtime bundled in /usr/lib/tod-p2m/node, not the system's
# (Debian 12 ships Node 18, Ubuntu 22.04 Node 12). See tod-p2m(1).
# --openssl-legacy-provider: native RC4 for BitTorrent protocol encryption (see
# docs/performance.md); without it the engine falls back to RC4 in JavaScript.
exec /usr/lib/tod-p2m/node/bin/node --openssl-legacy-provider /usr/lib/tod-p2m/dist/src/daemon/main.js "$@"
