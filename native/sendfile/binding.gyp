{
  # -O2 and Debian's hardening flags (dpkg-buildflags): node's common.gypi builds Release with
  # -O3 and links without RELRO/BIND_NOW, which lintian reports on the packaged .node.
  "targets": [{
    "target_name": "sendfile",
    "sources": ["src/sendfile.c"],
    "defines": ["NAPI_VERSION=8"],
    "cflags!": ["-O3"],
    "cflags": ["-O2", "-std=gnu11", "-fstack-protector-strong", "-D_FORTIFY_SOURCE=2", "-Wformat", "-Werror=format-security"],
    "ldflags": ["-Wl,-z,relro", "-Wl,-z,now", "-Wl,--as-needed"]
  }]
}
