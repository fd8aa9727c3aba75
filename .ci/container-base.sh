#!/usr/bin/env bash
# Makes the container base image `docker.io/library/debian:bookworm-slim` in podman's local
# storage when it is missing, without an image registry (none is reachable from CI): a minimal
# Debian 12 made by debootstrap from Debian's mirror, imported with `podman import`. The
# debootstrap tree is cached as a tarball, so only the first run on a machine pays for it
# (~4 min); later runs import the tarball (~10 s) or find the image already there (instant).
#
# Environment:
#   TOD_P2M_CI_CACHE  folder for the cached tarball (default /var/cache/tod-p2m-ci)
#   DEBIAN_MIRROR     default http://deb.debian.org/debian
#   FORCE=1           rebuild the tarball and re-import
#
# Needs root, podman, debootstrap. Prints the image name on success.
set -euo pipefail
image=docker.io/library/debian:bookworm-slim
cache=${TOD_P2M_CI_CACHE:-/var/cache/tod-p2m-ci}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
tarball=$cache/bookworm-minbase-oci.tar.gz
log () { printf '[container-base] %s\n' "$*" >&2; }

if [[ ${FORCE:-} != 1 ]] && podman image exists "$image"; then
  echo "$image"
  exit 0
fi
mkdir -p "$cache"
if [[ ${FORCE:-} == 1 || ! -s $tarball ]]; then
  command -v debootstrap >/dev/null || { log 'debootstrap not found (apt-get install debootstrap)'; exit 1; }
  dir=$(mktemp -d /var/tmp/tod-p2m-base.XXXXXX)
  trap 'rm -rf --one-file-system "$dir"' EXIT
  t=$(date +%s)
  log "debootstrap --variant=minbase bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$dir" "$mirror" >&2
  # As the official slim image: no apt lists or caches, a sources file that works.
  chroot "$dir" apt-get clean
  rm -rf "$dir"/var/lib/apt/lists/* "$dir"/var/cache/apt/*.bin
  tar -C "$dir" --numeric-owner -czf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
  log "debootstrap took $(( $(date +%s) - t )) s; cached in $tarball"
fi
t=$(date +%s)
podman import --change 'CMD ["/bin/bash"]' "$tarball" "$image" >&2
log "imported $image in $(( $(date +%s) - t )) s"
echo "$image"
