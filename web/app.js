// The tod-p2m web page: plain browser JavaScript, no build step. It uses only the daemon's
// HTTP API (docs/api.md) and hls.js, both from the daemon's own origin.
/* global Hls, location, Option, getComputedStyle */
'use strict'

const POLL_MS = 1500
/** Documents fetched per poll: only the first torrents of the library (what is on screen). */
const MAX_DOCS = 12
/** The library's other torrents are refreshed every this many polls (6 s). */
const OTHERS_EVERY = 4
const $ = (id) => document.getElementById(id)
const video = $('video')

const state = {
  token: localStorage.getItem('tod-p2m-token'),
  askedToken: false,
  docs: new Map(),
  open: null, // info-hash of the torrent shown in detail
  playing: null, // { infoHash, fileId, name, mode }
  hls: null,
  lastSaved: 0
}

/** An API error: its sentence is the error JSON's message. */
class ApiError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

/** Calls the API with the token (asked once when the server answers 401). */
async function api (path, opts = {}) {
  const headers = { ...(opts.headers ?? {}) }
  if (state.token) headers.Authorization = `Bearer ${state.token}`
  const res = await fetch(path, { ...opts, headers })
  if (res.status === 401 && !state.askedToken) {
    state.askedToken = true
    const token = window.prompt('This server needs an access token. Token:')
    if (token) {
      state.token = token.trim()
      localStorage.setItem('tod-p2m-token', state.token)
      return await api(path, opts)
    }
  }
  if (!res.ok) {
    let message = `The server answered ${res.status}.`
    try { message = (await res.json()).error.message } catch {}
    throw new ApiError(res.status, message)
  }
  if (res.status === 204) return null
  return opts.text ? await res.text() : await res.json()
}

function say (text) { $('status').textContent = text }
function fail (err) { $('error').textContent = err instanceof Error ? err.message : String(err) }
function clearError () { $('error').textContent = '' }

function bytes (n) {
  if (!Number.isFinite(n)) return '?'
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let i = 0
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++ }
  return `${n >= 10 || i === 0 ? Math.round(n) : n.toFixed(1)} ${units[i]}`
}
const speed = (n) => `${bytes(n)}/s`
const percent = (p) => `${Math.floor(p * 1000) / 10}%`

// ---- adding ---------------------------------------------------------------------------------

async function add (body, contentType) {
  clearError()
  say('Fetching metadata…')
  try {
    const doc = await api('/torrents', { method: 'POST', headers: { 'Content-Type': contentType }, body })
    state.docs.set(doc.infoHash, doc)
    say(`Added ${doc.name}.`)
    openTorrent(doc.infoHash)
    const media = doc.files.filter((f) => f.kind === 'video' || f.kind === 'audio').sort((a, b) => b.size - a.size)[0]
    if (media !== undefined) await play(doc, media)
    void refresh()
  } catch (err) {
    say('')
    fail(err)
  }
}

$('add-form').addEventListener('submit', (e) => {
  e.preventDefault()
  const text = $('magnet').value.trim()
  if (text === '') { fail('Paste a magnet link or an info-hash first.'); return }
  const json = /^magnet:/i.test(text) ? { magnet: text } : { infoHash: text }
  void add(JSON.stringify(json), 'application/json')
})

async function addFile (file) {
  if (file === undefined) return
  void add(await file.arrayBuffer(), 'application/x-bittorrent')
}
$('torrent-file').addEventListener('change', (e) => { void addFile(e.target.files[0]) })
document.addEventListener('dragover', (e) => { e.preventDefault() })
document.addEventListener('drop', (e) => {
  e.preventDefault()
  void addFile(e.dataTransfer?.files[0])
})

// ---- library --------------------------------------------------------------------------------

function libraryItem (ih) {
  let li = $(`t-${ih}`)
  if (li !== null) return li
  li = document.createElement('li')
  li.id = `t-${ih}`
  li.innerHTML = '<button type="button" class="name"></button><progress max="1" value="0"></progress><div class="facts"></div>'
  li.querySelector('button').addEventListener('click', () => {
    openTorrent(ih)
    $('detail-title').focus() // keyboard users land on what they opened
  })
  $('library').append(li)
  return li
}

function renderLibrary (list) {
  $('empty').hidden = list.length > 0
  const keep = new Set(list.map((t) => `t-${t.infoHash}`))
  for (const li of [...$('library').children]) if (!keep.has(li.id)) li.remove()
  for (const t of list) {
    const li = libraryItem(t.infoHash)
    $('library').append(li) // keeps the server's order (most recently used first)
    const doc = state.docs.get(t.infoHash)
    const name = t.name || doc?.name || t.infoHash
    li.querySelector('.name').textContent = name
    const bar = li.querySelector('progress')
    bar.value = doc?.progress ?? 0
    bar.setAttribute('aria-label', `${name}: ${percent(doc?.progress ?? 0)} downloaded`)
    li.querySelector('.facts').textContent = doc === undefined
      ? `${bytes(t.size)} · ${t.state === 'idle' ? 'idle' : 'fetching metadata'}`
      : `${bytes(doc.size)} · ${percent(doc.progress)} · ${doc.peers} peers · ↓ ${speed(doc.downloadSpeed)} · ↑ ${speed(doc.uploadSpeed)}`
  }
}

/**
 * One poll: the list and the open torrent's document every time; the other active torrents'
 * documents every OTHERS_EVERY polls. Every request counts against the server's per-client
 * limit (security.requests_per_minute, 1200 by default): with 12 active torrents a tab costs
 * about 200 a minute (it was 560 when every document was fetched every poll), so a few tabs
 * and their players stay well inside it.
 */
let polls = 0
async function refresh () {
  try {
    const { torrents } = await api('/torrents')
    const others = polls++ % OTHERS_EVERY === 0
      ? torrents.filter((t) => t.state === 'active').slice(0, MAX_DOCS).map((t) => t.infoHash)
      : []
    const wanted = others.filter((ih) => ih !== state.open)
    if (state.open !== null) wanted.push(state.open)
    await Promise.all(wanted.map(async (ih) => {
      try { state.docs.set(ih, await api(`/torrent/${ih}`)) } catch (err) { if (err.status === 404) state.docs.delete(ih) }
    }))
    renderLibrary(torrents)
    if (state.open !== null) renderDetail()
    if (state.playing !== null) await refreshPieces()
    updateWait()
  } catch (err) {
    fail(err)
  }
}

// ---- one torrent ----------------------------------------------------------------------------

function openTorrent (ih) {
  state.open = ih
  $('detail').hidden = false
  $('files').replaceChildren()
  renderDetail()
}

function renderDetail () {
  const doc = state.docs.get(state.open)
  if (doc === undefined) return
  $('detail-title').textContent = doc.name
  for (const f of doc.files) {
    let li = $(`f-${f.id}`)
    if (li === null) {
      li = document.createElement('li')
      li.id = `f-${f.id}`
      li.innerHTML = '<div class="name"></div><div class="facts"></div><div class="row"></div>'
      li.querySelector('.name').textContent = f.name
      const row = li.querySelector('.row')
      if (f.kind === 'video' || f.kind === 'audio') row.append(button(`Play ${f.name}`, 'Play', () => { void play(state.docs.get(doc.infoHash), f) }))
      row.append(button(`Copy the stream URL of ${f.name}`, 'Copy stream URL', () => { copy(f.streamUrl) }))
      if (f.hlsUrl !== undefined) row.append(button(`Copy the HLS URL of ${f.name}`, 'Copy HLS URL', () => { copy(f.hlsUrl) }))
      $('files').append(li)
    }
    li.querySelector('.facts').textContent = `${f.kind} · ${bytes(f.size)} · ${percent(f.progress)}`
  }
}

function button (label, text, onClick) {
  const b = document.createElement('button')
  b.type = 'button'
  b.textContent = text
  b.setAttribute('aria-label', label)
  b.addEventListener('click', onClick)
  return b
}

/** Copies to the clipboard; where the browser refuses, shows the URL selected to copy by hand. */
function copy (text) {
  const fallback = () => {
    const box = $('copied')
    $('copy-box').hidden = false
    box.value = text
    box.focus()
    box.select()
    say('Copy the selected URL.')
  }
  if (navigator.clipboard === undefined) { fallback(); return }
  navigator.clipboard.writeText(text).then(() => { say('Copied.') }, fallback)
}

$('copy-m3u').addEventListener('click', () => { copy(state.docs.get(state.open)?.playlistUrl ?? `${location.origin}/playlist/${state.open}.m3u`) })
$('delete').addEventListener('click', () => { void remove(state.open) })

async function remove (ih) {
  const doc = state.docs.get(ih)
  if (!window.confirm(`Delete ${doc?.name ?? ih} and its downloaded data?`)) return
  clearError()
  if (state.playing?.infoHash === ih) stopPlayer()
  // A stream the player just closed is released a moment later: retry a busy answer briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await api(`/torrent/${ih}`, { method: 'DELETE' })
      break
    } catch (err) {
      if (err.status !== 409 || attempt >= 10) { fail(err); return }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
  }
  state.docs.delete(ih)
  state.open = null
  $('detail').hidden = true
  $(`t-${ih}`)?.remove()
  say(`Deleted ${doc?.name ?? ih}.`)
  void refresh()
}

// ---- player ---------------------------------------------------------------------------------

function stopPlayer () {
  savePosition(true)
  state.hls?.destroy()
  state.hls = null
  state.playing = null
  for (const t of [...video.querySelectorAll('track')]) { URL.revokeObjectURL(t.src); t.remove() }
  video.removeAttribute('src')
  video.load()
  $('player').hidden = true
}

const COMMON_TYPES = ['video/mp4', 'video/webm', 'audio/mp4', 'audio/mpeg', 'audio/ogg', 'audio/webm', 'audio/flac', 'audio/wav']

/** Plays a file: directly when the browser can, else through HLS (hls.js, or native HLS). */
async function play (doc, file) {
  stopPlayer()
  clearError()
  state.playing = { infoHash: doc.infoHash, fileId: file.id, name: file.name, mode: 'direct', subtitles: file.subtitles ?? [] }
  const mine = state.playing
  $('player').hidden = false
  $('player-title').textContent = `Playing ${file.name}`
  $('wait').textContent = 'Checking what the browser can play…'
  // MP4, WebM and common audio the browser names as playable go straight to the element (no
  // probe: the fastest first frame); anything else asks the daemon what probing found.
  let direct = COMMON_TYPES.includes(file.mime) && video.canPlayType(file.mime) !== ''
  if (!direct && file.hlsUrl !== undefined) {
    try {
      direct = (await api(`/hls/${doc.infoHash}/${file.id}/info.json`)).playback === 'direct'
    } catch (err) {
      if (err.status === 415 || err.status === 422) { fail(err); return }
      direct = video.canPlayType(file.mime) !== ''
    }
  }
  if (state.playing !== mine) return
  if (direct) playDirect(file)
  else playHls(file)
  setTracks()
  void refreshPieces()
}

function playDirect (file) {
  state.playing.mode = 'direct'
  // A file the browser cannot decode after all (say HEVC in MP4): HLS instead.
  video.addEventListener('error', function onError () {
    video.removeEventListener('error', onError)
    if (state.playing?.fileId === file.id && state.playing.mode === 'direct' && file.hlsUrl !== undefined && video.error?.code >= 3) playHls(file)
  })
  video.src = file.streamUrl
  void video.play().catch(() => {})
}

function playHls (file) {
  state.playing.mode = 'hls'
  if (typeof Hls !== 'undefined' && Hls.isSupported()) {
    const hls = new Hls({ renderTextTracksNatively: true })
    state.hls = hls
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (data.fatal) fail(`The player failed: ${data.details}.`)
    })
    hls.on(Hls.Events.MANIFEST_PARSED, () => { setTracks(); void video.play().catch(() => {}) })
    hls.on(Hls.Events.AUDIO_TRACKS_UPDATED, setTracks)
    hls.on(Hls.Events.SUBTITLE_TRACKS_UPDATED, setTracks)
    hls.loadSource(file.hlsUrl)
    hls.attachMedia(video)
  } else if (video.canPlayType('application/vnd.apple.mpegurl') !== '') {
    video.src = file.hlsUrl
    void video.play().catch(() => {})
  } else {
    fail('This browser can play neither this file nor HLS.')
  }
}

/** Fills the audio and subtitle pickers: hls.js's tracks, or a direct file's subtitle files. */
function setTracks () {
  const audio = $('audio-track')
  const subs = $('subtitle-track')
  audio.replaceChildren()
  subs.replaceChildren(new Option('Off', '-1'))
  const hls = state.hls
  if (hls !== null) {
    hls.audioTracks.forEach((t, i) => audio.append(new Option(t.name || t.lang || `Track ${i + 1}`, String(i), false, i === hls.audioTrack)))
    hls.subtitleTracks.forEach((t, i) => subs.append(new Option(t.name || t.lang || `Subtitles ${i + 1}`, String(i), false, i === hls.subtitleTrack)))
  } else if (state.playing !== null) {
    state.playing.subtitles.forEach((s, i) => subs.append(new Option(s.lang ? `${s.lang} (${s.name})` : s.name, String(i))))
  }
  audio.disabled = audio.options.length < 2
  subs.disabled = subs.options.length < 2
}

$('audio-track').addEventListener('change', (e) => { if (state.hls !== null) state.hls.audioTrack = Number(e.target.value) })
$('subtitle-track').addEventListener('change', (e) => { void pickSubtitle(Number(e.target.value)) })

async function pickSubtitle (i) {
  const hls = state.hls
  if (hls !== null) {
    hls.subtitleTrack = i
    hls.subtitleDisplay = i >= 0
    return
  }
  for (const t of video.textTracks) t.mode = 'disabled'
  const p = state.playing
  const sub = p?.subtitles[i]
  if (sub === undefined) return
  try {
    // As WebVTT (a <track> reads nothing else), fetched with the token, shown from a blob: URL.
    const vtt = await api(`/subtitles/${p.infoHash}/${sub.id}.vtt`, { text: true })
    const track = document.createElement('track')
    track.kind = 'subtitles'
    track.label = sub.lang ?? sub.name
    if (sub.lang) track.srclang = sub.lang
    track.src = URL.createObjectURL(new Blob([vtt], { type: 'text/vtt' }))
    video.append(track)
    track.track.mode = 'showing'
  } catch (err) {
    fail(err)
  }
}

/** What the player waits for, in words. */
function updateWait () {
  const p = state.playing
  if (p === null) return
  const doc = state.docs.get(p.infoHash)
  let ahead = 0
  for (let i = 0; i < video.buffered.length; i++) {
    if (video.buffered.start(i) <= video.currentTime + 0.5 && video.buffered.end(i) >= video.currentTime) ahead = video.buffered.end(i) - video.currentTime
  }
  const rate = doc === undefined ? '' : ` at ${speed(doc.downloadSpeed)}`
  let text = ''
  if (doc !== undefined && doc.peers === 0 && doc.progress < 1) text = 'Finding peers…'
  else if (video.readyState < 3 && !video.paused) text = `Buffering: ${Math.floor(ahead)} s ahead${rate}`
  else if (!video.paused && doc !== undefined && doc.progress < 1) text = `Playing, ${Math.floor(ahead)} s buffered${rate}`
  $('wait').textContent = text
}
for (const ev of ['waiting', 'playing', 'progress', 'seeking']) video.addEventListener(ev, updateWait)

/** The playing file's piece map: verified, in the priority window, missing. */
async function refreshPieces () {
  const p = state.playing
  if (p === null) return
  let map
  try { map = await api(`/torrent/${p.infoHash}/pieces/${p.fileId}`) } catch { return }
  const canvas = $('piece-map')
  const width = canvas.clientWidth || 300
  canvas.width = width
  const ctx = canvas.getContext('2d')
  const css = getComputedStyle(document.documentElement)
  const color = (name) => css.getPropertyValue(name).trim()
  const bits = Uint8Array.from(atob(map.verified), (c) => c.charCodeAt(0))
  const per = width / Math.max(1, map.count)
  let verified = 0
  for (let i = 0; i < map.count; i++) {
    const have = (bits[i >> 3] & (0x80 >> (i & 7))) !== 0
    const piece = map.first + i
    const inWindow = map.window !== null && piece >= map.window[0] && piece <= map.window[1]
    if (have) verified++
    ctx.fillStyle = color(have ? '--verified' : inWindow ? '--window' : '--missing')
    ctx.fillRect(Math.floor(i * per), 0, Math.ceil(per), canvas.height)
  }
  canvas.setAttribute('aria-label', `Piece map: ${verified} of ${map.count} pieces verified`)
  canvas.dataset.verified = String(verified)
  canvas.dataset.count = String(map.count)
  canvas.dataset.window = map.window === null ? '' : map.window.join('-')
}

// ---- position per file ----------------------------------------------------------------------

const positionKey = (p) => `tod-p2m-pos:${p.infoHash}:${p.fileId}`

function savePosition (now = false) {
  const p = state.playing
  if (p === null || !Number.isFinite(video.currentTime) || video.currentTime === 0) return
  if (!now && Date.now() - state.lastSaved < 2000) return
  state.lastSaved = Date.now()
  localStorage.setItem(positionKey(p), String(Math.floor(video.currentTime)))
}
video.addEventListener('timeupdate', () => { savePosition() })
video.addEventListener('pause', () => { savePosition(true) })
video.addEventListener('loadedmetadata', () => {
  const p = state.playing
  if (p === null) return
  const at = Number(localStorage.getItem(positionKey(p)))
  if (at > 5 && at < video.duration - 5) video.currentTime = at
})

// ---- polling --------------------------------------------------------------------------------

let timer = null
function schedule () {
  clearTimeout(timer)
  if (document.hidden) return
  timer = setTimeout(async () => { await refresh(); schedule() }, POLL_MS)
}
document.addEventListener('visibilitychange', () => { if (!document.hidden) { void refresh(); schedule() } })
window.addEventListener('beforeunload', () => { savePosition(true) })
void refresh()
schedule()
