import t from 'tap'
import { resolveRange } from '../../../src/http/range.js'

t.test('no header or empty header is the full file', async (t) => {
  t.same(resolveRange(undefined, 100), { kind: 'full' })
  t.same(resolveRange('', 100), { kind: 'full' })
})

t.test('the three RFC 9110 forms', async (t) => {
  t.same(resolveRange('bytes=0-9', 100), { kind: 'partial', start: 0, end: 9 })
  t.same(resolveRange('bytes=90-', 100), { kind: 'partial', start: 90, end: 99 })
  t.same(resolveRange('bytes=-10', 100), { kind: 'partial', start: 90, end: 99 })
  t.same(resolveRange('bytes=50-1000', 100), { kind: 'partial', start: 50, end: 99 }, 'end clamps to size')
  t.same(resolveRange('bytes=-1000', 100), { kind: 'partial', start: 0, end: 99 }, 'suffix longer than file')
})

t.test('unsatisfiable ranges', async (t) => {
  t.same(resolveRange('bytes=100-', 100), { kind: 'unsatisfiable' })
  t.same(resolveRange('bytes=200-300', 100), { kind: 'unsatisfiable' })
  t.same(resolveRange('bytes=0-0', 0), { kind: 'unsatisfiable' }, 'nothing is satisfiable in an empty file')
})

t.test('malformed or foreign units are ignored (full response)', async (t) => {
  for (const h of ['bytes=abc', 'bytes=5-1', 'items=0-5', 'bytes', 'garbage', 'bytes=--1']) {
    t.same(resolveRange(h, 100), { kind: 'full' }, h)
  }
})

t.test('overlapping ranges are combined; at most one is served', async (t) => {
  const many = 'bytes=' + Array.from({ length: 2000 }, () => '0-').join(',')
  t.same(resolveRange(many, 1_000_000), { kind: 'partial', start: 0, end: 999_999 }, '2000 x 0- is one range')
  t.same(resolveRange('bytes=0-9,5-19,20-29', 100), { kind: 'partial', start: 0, end: 29 }, 'overlapping and adjacent merge')
  t.same(resolveRange('bytes=50-59,0-9', 100), { kind: 'partial', start: 50, end: 59 }, 'disjoint: the one listed first')
})
