#!/bin/sh
# tod-p2m runs on the Node.js 22 runtime bundled in /usr/lib/tod-p2m/node, not the system's
# (Debian 12 ships Node 18, Ubuntu 22.04 Node 12). See tod-p2m(1).
exec /usr/lib/tod-p2m/node/bin/node /usr/lib/tod-p2m/dist/src/daemon/main.js "$@"
