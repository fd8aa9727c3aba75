// Seeds one file from a WebTorrent client on this host for .ci/packaging, which runs it in a
// private network namespace beside the installed daemon. Prints one JSON line
// {"magnet", "infoHash", "port"} once seeding, then seeds until SIGTERM.
// The magnet carries the peer as x.pe=127.0.0.1:PORT and no trackers; DHT, LSD, uTP and
// port mapping are off, so nothing leaves the loopback interface.
// Usage: node packaging/ci/seed.mjs FILE
import WebTorrent from 'webtorrent'

const file = process.argv[2]
if (file === undefined) {
  process.stderr.write('usage: node seed.mjs FILE\n')
  process.exit(64)
}
const client = new WebTorrent({ utp: false, dht: false, lsd: false, natUpnp: false, natPmp: false, tracker: false, webSeeds: false })
client.on('error', (err) => {
  process.stderr.write(`seed: ${err.message}\n`)
  process.exit(1)
})
client.seed(file, { announceList: [], urlList: [], pieceLength: 64 * 1024 }, (torrent) => {
  const port = client.address().port
  const magnet = `magnet:?xt=urn:btih:${torrent.infoHash}&dn=${encodeURIComponent(torrent.name)}&x.pe=127.0.0.1:${port}`
  process.stdout.write(JSON.stringify({ magnet, infoHash: torrent.infoHash, port }) + '\n')
})
const stop = () => { client.destroy(() => process.exit(0)) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
