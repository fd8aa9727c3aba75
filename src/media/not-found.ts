import type { ErrorParams } from '../errors.js'

/** TOD_ERR_NOT_FOUND of a rendition the plan does not have. */
export const NO_RENDITION: ErrorParams<'TOD_ERR_NOT_FOUND'> = { thing: 'rendition', hint: 'take the renditions the master playlist (playlist.m3u8) lists' }

/** TOD_ERR_NOT_FOUND of a segment past the end or of a malformed segment name. */
export const NO_SEGMENT: ErrorParams<'TOD_ERR_NOT_FOUND'> = { thing: 'segment', hint: 'take the segments the rendition playlist (index.m3u8) lists' }

/** TOD_ERR_NOT_FOUND of a subtitle rendition or track the file does not have. */
export const NO_SUBTITLE: ErrorParams<'TOD_ERR_NOT_FOUND'> = { thing: 'text subtitle track', hint: 'info.json lists the tracks (convertible: true) and the sidecar files' }
