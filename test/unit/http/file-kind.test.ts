import t from 'tap'
import { kindOf, servedType, subtitlesOf } from '../../../src/http/file-kind.js'

const f = (id: number, path: string, mime: string): { id: number, name: string, path: string, mime: string } =>
  ({ id, name: path.split('/').pop() ?? path, path, mime })

t.test('kinds and served types', async (t) => {
  t.equal(kindOf({ name: 'a.srt', mime: 'application/x-subrip' }), 'subtitle')
  t.equal(kindOf({ name: 'a.ass', mime: 'application/octet-stream' }), 'subtitle')
  t.equal(kindOf({ name: 'a.mkv', mime: 'video/x-matroska' }), 'video')
  t.equal(kindOf({ name: 'a.pdf', mime: 'application/pdf' }), 'document')
  t.equal(kindOf({ name: 'a.bin', mime: 'application/octet-stream' }), 'other')
  t.equal(servedType({ name: 'a.srt', mime: 'application/x-subrip' }), 'application/x-subrip; charset=utf-8')
  t.equal(servedType({ name: 'a.txt', mime: 'text/plain' }), 'text/plain; charset=utf-8')
  t.equal(servedType({ name: 'a.mp4', mime: 'video/mp4' }), 'video/mp4')
})

t.test('subtitles belong to the video of their base name, in its folder', async (t) => {
  const files = [
    f(0, 'Film/movie.mkv', 'video/x-matroska'),
    f(1, 'Film/movie.en.srt', 'application/x-subrip'),
    f(2, 'Film/movie.pt-BR.forced.ass', 'application/octet-stream'),
    f(3, 'Film/movie.srt', 'application/x-subrip'),
    f(4, 'Film/other.srt', 'application/x-subrip'),
    f(5, 'Other/movie.en.srt', 'application/x-subrip'),
    f(6, 'Film/movie2.srt', 'application/x-subrip')
  ]
  t.same(subtitlesOf(files).get(0), [{ id: 1, lang: 'en' }, { id: 2, lang: 'pt-BR' }, { id: 3 }])
  t.equal(subtitlesOf(files).size, 1)
})
