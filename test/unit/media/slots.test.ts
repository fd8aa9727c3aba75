// Session slots shared through files: a limit across processes, dead owners' slots taken over.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { Slots } from '../../../src/media/slots.js'

t.test('at most max; released slots are reused; a dead process\'s slot is taken over', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-slots-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const slots = new Slots(dir, 2)
  const a = slots.acquire('a')
  slots.acquire('b')
  t.throws(() => slots.acquire('c'), { code: 'TOD_ERR_MEDIA_BUSY', headers: { 'Retry-After': '10' } })
  a()
  const c = slots.acquire('c')
  c()
  // Another process's slot (alive: this test's parent) is respected; a dead one's is not.
  fs.writeFileSync(path.join(dir, 'slot-0'), `${process.ppid} other\n`)
  t.throws(() => slots.acquire('d'))
  fs.writeFileSync(path.join(dir, 'slot-0'), '999999999 gone\n')
  t.doesNotThrow(() => slots.acquire('e'))
})

t.test('a file held by another live process shares its slot', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tod-slots-'))
  t.teardown(() => { fs.rmSync(dir, { recursive: true, force: true }) })
  const slots = new Slots(dir, 1)
  fs.writeFileSync(path.join(dir, 'slot-0'), `${process.ppid} ih-1\n`)
  t.doesNotThrow(() => slots.acquire('ih-1'), 'the same file: shared')
  t.throws(() => slots.acquire('ih-2'), { code: 'TOD_ERR_MEDIA_BUSY' }, 'another file: busy')
})
