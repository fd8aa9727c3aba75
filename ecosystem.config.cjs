// PM2 example: `npm run build && pm2 start ecosystem.config.cjs`.
// The daemon forks its own HTTP front-ends (node:cluster), so PM2 runs the supervisor alone,
// in fork mode, one instance; PM2's cluster mode would start several daemons fighting over
// the same data folder. See docs/operations.md ("Under PM2").
module.exports = {
  apps: [{
    name: 'tod-p2m',
    script: 'dist/src/daemon/main.js',
    // Or `serve --config /path/to/config.json` (JSON or YAML); environment variables work too.
    args: 'serve --port 8080 --dir /var/tmp/tod-p2m',
    // Native RC4 for BitTorrent protocol encryption, as `npm start` and the packaged launcher.
    node_args: '--openssl-legacy-provider',
    exec_mode: 'fork',
    instances: 1,
    // SIGINT (PM2's stop signal) to the supervisor only: it drains the front-ends itself. With
    // treekill the front-ends would get the signal too and cut the responses in flight.
    treekill: false,
    // Above the supervisor's own drain deadline (25 s), as the systemd unit's TimeoutStopSec.
    kill_timeout: 30000,
    // Restarting is the daemon's job for its front-ends and shard threads; PM2 restarts the
    // daemon only if it gives up (exit 1), not for a bad config (78) or command line (64).
    autorestart: true,
    stop_exit_codes: [0, 64, 78],
    max_restarts: 5,
    min_uptime: 10000,
    env: {
      NODE_ENV: 'production',
      TOD_P2M_LOGGING_FORMAT: 'json'
    }
  }]
}
