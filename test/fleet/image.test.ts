// The OCI image (Dockerfile): builds with podman, runs as a non-root user with the bundled
// Node 22 and ffmpeg, streams a range from a loopback seeder byte for byte, keeps its data in
// the volumes when the container is replaced, and drains on `podman stop` within the grace
// period. Skipped where podman is missing. The first build takes minutes (the .deb, then
// ffmpeg from Debian's mirror); podman caches the ffmpeg layer and .ci/container-base.sh the
// base, so later builds are quicker. TOD_P2M_IMAGE=<name> tests an image built already.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { waitFor } from '../helpers/async.js'
import { tempDir } from '../helpers/fleet.js'
import { makeRandomFile } from '../helpers/media.js'
import { freePort } from '../helpers/net.js'
import { PODMAN_RUN, podman, podmanMissing, testImage } from '../helpers/podman.js'
import { startSeeder } from '../helpers/seeder.js'

const missing = await podmanMissing()
// A first build (the .deb, ffmpeg from the mirror) can outlast tap's default file timeout.
t.setTimeout(1_800_000)
t.test('the OCI image', { skip: missing ?? false, timeout: 1_800_000 }, async (t) => {
  const built = await testImage()
  t.comment(`image ${built.image}${built.seconds > 0 ? `, built in ${built.seconds} s` : ''}`)
  const work = tempDir('image')
  const file = await makeRandomFile(work, 'clip.mp4', 900_000)
  const source = fs.readFileSync(file)
  const seeder = await startSeeder(file, { pieceLength: 64 * 1024 })
  const name = `tod-p2m-test-${process.pid}`
  const volumes = [`${name}-data`, `${name}-state`]
  const port = await freePort()
  const base = `http://127.0.0.1:${port}`
  t.teardown(async () => {
    await podman(['rm', '-f', '-t', '0', name, `${name}-2`])
    await podman(['volume', 'rm', '-f', ...volumes])
    await seeder.stop()
    fs.rmSync(work, { recursive: true, force: true })
  })
  // The second container takes its node name from a mounted config file instead.
  const configFile = path.join(work, 'config.json')
  fs.writeFileSync(configFile, JSON.stringify({ server: { node_name: 'image-test' }, logging: { level: 'info' } }), { mode: 0o644 })
  const run = async (container: string, settings: string[]): Promise<void> => {
    const res = await podman(['run', '-d', '--name', container, ...PODMAN_RUN,
      '-v', `${volumes[0]}:/var/cache/tod-p2m`, '-v', `${volumes[1]}:/var/lib/tod-p2m`, ...settings,
      // Loopback only (host networking here), and the test swarm is on loopback.
      '-e', 'TOD_P2M_SERVER_HOST=127.0.0.1', '-e', `TOD_P2M_SERVER_PORT=${port}`,
      '-e', 'TOD_P2M_SERVER_WORKERS=1', '-e', 'TOD_P2M_TORRENT_SHARDS=1', '-e', 'TOD_P2M_TORRENT_DHT=false',
      '-e', 'TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS=true', built.image])
    t.equal(res.code, 0, `podman run ${container}${res.code === 0 ? '' : `: ${res.stderr}`}`)
    const t0 = Date.now()
    await waitFor(async () => (await fetch(`${base}/health`)).status === 200, { timeoutMs: 60_000, intervalMs: 250, what: `${container} to answer /health` })
      .catch(async (err: Error) => { throw new Error(`${err.message}\n${(await podman(['logs', container])).stdout.slice(-3000)}`) })
    t.comment(`${container} healthy ${Date.now() - t0} ms after podman run`)
  }
  const range = async (url: string, from: number, to: number): Promise<void> => {
    const res = await fetch(url, { headers: { Range: `bytes=${from}-${to}` } })
    t.equal(res.status, 206)
    t.equal(res.headers.get('x-tod-node'), 'image-test', 'node name from the environment, then from the mounted config file')
    t.ok(Buffer.from(await res.arrayBuffer()).equals(source.subarray(from, to + 1)), `bytes ${from}-${to} identical`)
  }

  await run(name, ['-e', 'TOD_P2M_SERVER_NODE_NAME=image-test'])
  const who = await podman(['exec', name, 'sh', '-c', 'id -u; id -g; /usr/lib/tod-p2m/node/bin/node --version; ffmpeg -hide_banner -version | head -n 1'])
  const [uid, gid, nodeVersion, ffmpeg] = who.stdout.split('\n')
  t.equal(uid, '10001', 'runs as uid 10001')
  t.equal(gid, '10001')
  t.match(nodeVersion, /^v22\./, 'the bundled Node 22')
  t.match(ffmpeg, /^ffmpeg version/, 'ffmpeg is there')
  await range(`${base}/stream?magnet=${encodeURIComponent(seeder.magnet)}`, 200_000, 699_999)
  t.equal((await podman(['healthcheck', 'run', name])).code, 0, 'the image HEALTHCHECK passes')

  let t0 = Date.now()
  const stop = await podman(['stop', '-t', '10', name])
  const stopMs = Date.now() - t0
  t.equal(stop.code, 0)
  const exit = (await podman(['inspect', '-f', '{{.State.ExitCode}}', name])).stdout.trim()
  t.equal(exit, '0', 'SIGTERM: a clean exit, not a SIGKILL (137)')
  t.ok(stopMs < 10_000, `podman stop took ${stopMs} ms, within the 10 s grace period`)

  // A new container on the same volumes, with the swarm gone: the bytes come from the volume.
  await seeder.stop()
  t0 = Date.now()
  await run(`${name}-2`, ['-v', `${configFile}:/etc/tod-p2m/config.json:ro`])
  t.comment(`replacement container serving ${Date.now() - t0} ms after podman run`)
  const doc = await fetch(`${base}/torrent/${seeder.infoHash}`)
  t.equal(doc.status, 200, 'the torrent is known from the state volume')
  await doc.arrayBuffer()
  await range(`${base}/stream/${seeder.infoHash}/0`, 300_000, 599_999)
  t.equal((await podman(['stop', '-t', '10', `${name}-2`])).code, 0)
})
