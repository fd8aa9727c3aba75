import t from 'tap'
import { requestId } from '../../../src/metrics/request-id.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('a short, safe incoming id is kept', async (t) => {
  for (const id of ['abc-123', '0f8fad5b-d9cb-469f-a165-70867728950e', 'Root=1-5759e988-bd862e3fe1be46a994272793', 'a', 'x'.repeat(64), 'svc/edge@eu:1+2_3.4']) {
    t.equal(requestId(id), id, id)
  }
  t.equal(requestId(['first', 'second']), 'first')
})

t.test('anything else gets a new random UUID', async (t) => {
  for (const bad of [undefined, '', 'x'.repeat(65), 'has space', 'a, b', 'line\nbreak', 'quote"', '<script>', 'ünicode', 'tab\t', 'semi;colon']) {
    t.match(requestId(bad), UUID, JSON.stringify(bad))
  }
  t.not(requestId(undefined), requestId(undefined), 'new each time')
})
