#!/usr/bin/env bash
# Builds the OCI image tod-p2m:<version> (and :latest) with podman from the Dockerfile at the
# repository root: first the .deb (`npm run package:deb`) into build/oci/tod-p2m.deb, then
# `podman build`. Prints the image name on the last line.
#
# Environment:
#   IMAGE         image name (default localhost/tod-p2m)
#   DEB           use this .deb instead of building one
#   PODMAN        the podman command (default "podman"); on hosts where crun cannot run
#                 ("cgroups in hybrid mode not supported") use PODMAN="podman --runtime /usr/sbin/runc"
#   BUILD_FLAGS   extra flags for podman build (e.g. "--network=host --pull=never" where no
#                 registry is reachable: make the base with .ci/container-base.sh)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
image=${IMAGE:-localhost/tod-p2m}
podman_cmd=${PODMAN:-podman}
version=$(node -p 'require("./package.json").version')
log () { printf '[build-image] %s\n' "$*" >&2; }

mkdir -p build/oci
t=$(date +%s)
if [[ -n ${DEB:-} ]]; then
  cp "$DEB" build/oci/tod-p2m.deb
else
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  deb=$(OUT_DIR=$tmp npm run --silent package:deb | tail -n 1)
  mv "$deb" build/oci/tod-p2m.deb
  log ".deb built in $(( $(date +%s) - t )) s"
fi
t=$(date +%s)
# --format docker: the OCI format has no HEALTHCHECK.
# shellcheck disable=SC2086
$podman_cmd build --format docker ${BUILD_FLAGS:-} -t "$image:$version" -t "$image:latest" -f Dockerfile . >&2
log "podman build took $(( $(date +%s) - t )) s"
echo "$image:$version"
