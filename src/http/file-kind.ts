import type { FileInfo } from '../protocol.js'

/** What a file is to a player or a page: decides its URL's route and its place in playlists. */
export type FileKind = 'video' | 'audio' | 'image' | 'subtitle' | 'document' | 'other'

/**
 * Subtitle formats players load next to a video, by extension, with the type they are served
 * as (the engine's MIME table knows only some: .ass is application/octet-stream there).
 */
const SUBTITLE_TYPES: Readonly<Record<string, string>> = {
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
  ass: 'text/x-ssa',
  ssa: 'text/x-ssa',
  sub: 'text/x-microdvd'
}

function extension (name: string): string {
  const dot = name.lastIndexOf('.')
  return dot === -1 ? '' : name.slice(dot + 1).toLowerCase()
}

/** A subtitle file players load next to a video (.srt, .vtt, .ass, .ssa, .sub). */
export function isSubtitle (file: Pick<FileInfo, 'name'>): boolean {
  return Object.hasOwn(SUBTITLE_TYPES, extension(file.name))
}

/** What /image/ serves. */
export function isImage (file: Pick<FileInfo, 'mime'>): boolean {
  return file.mime.startsWith('image/')
}

/** Text, subtitles, PDF, e-books, office documents and comic archives. */
export function isDocument (file: Pick<FileInfo, 'name' | 'mime'>): boolean {
  return isSubtitle(file) || file.mime.startsWith('text/') ||
    /^application\/(pdf|epub\+zip|rtf|msword|x-mobipocket-ebook|vnd\.ms-|vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.|vnd\.comicbook|x-cbr|x-cbz|djvu|x-fictionbook)/.test(file.mime)
}

/** The file's kind; a subtitle is one before it is text. */
export function kindOf (file: Pick<FileInfo, 'name' | 'mime'>): FileKind {
  if (isSubtitle(file)) return 'subtitle'
  if (file.mime.startsWith('video/')) return 'video'
  if (file.mime.startsWith('audio/')) return 'audio'
  if (isImage(file)) return 'image'
  if (isDocument(file)) return 'document'
  return 'other'
}

/** The Content-Type a file is served with: text (subtitles included) is declared UTF-8. */
export function servedType (file: Pick<FileInfo, 'name' | 'mime'>): string {
  const type = SUBTITLE_TYPES[extension(file.name)] ?? file.mime
  return type.startsWith('text/') || isSubtitle(file) ? `${type}; charset=utf-8` : type
}

/** The route prefix of a file's URL, by kind: /image/ and /document/ check the kind they serve. */
export function routeOfKind (kind: FileKind): 'stream' | 'image' | 'document' {
  if (kind === 'image') return 'image'
  if (kind === 'document' || kind === 'subtitle') return 'document'
  return 'stream'
}

/**
 * The subtitles of each video: a subtitle file in the same folder whose name is the video's
 * base name, optionally followed by a language tag (`movie.mkv` ↔ `movie.srt`, `movie.en.srt`,
 * `movie.pt-BR.forced.ass`). Returns video id → its subtitles with their language when named.
 */
export function subtitlesOf (files: ReadonlyArray<Pick<FileInfo, 'id' | 'name' | 'path' | 'mime'>>): Map<number, Array<{ id: number, lang?: string }>> {
  const stem = (p: string): string => p.slice(0, p.length - extension(p).length - 1)
  const out = new Map<number, Array<{ id: number, lang?: string }>>()
  const subs = files.filter(isSubtitle)
  for (const video of files.filter((f) => kindOf(f) === 'video')) {
    const base = stem(video.path)
    for (const sub of subs) {
      const s = stem(sub.path)
      if (s !== base && !s.startsWith(`${base}.`)) continue
      const tag = /^([a-z]{2,3}(?:[-_][a-z0-9]{2,4})?)(?:\.|$)/i.exec(s.slice(base.length + 1))?.[1]
      const list = out.get(video.id) ?? []
      list.push(tag === undefined ? { id: sub.id } : { id: sub.id, lang: tag })
      out.set(video.id, list)
    }
  }
  return out
}
