/**
 * Everything the bench starts or creates registers its undo here: processes to stop, temp
 * folders to remove. `main` runs the stack in a `finally`, and SIGINT/SIGTERM run it too, so
 * a failed or interrupted run leaves no seeder, daemon, nginx or temp folder behind.
 */
import fs from 'node:fs'

type Undo = () => Promise<void> | void

/** A LIFO stack of undo actions: the last thing started is the first thing stopped. */
export class Cleanup {
  readonly #stack: Array<{ what: string, undo: Undo }> = []
  #running: Promise<void> | undefined

  /** Registers `undo`; returns a function that runs it now (once) and unregisters it. */
  defer (what: string, undo: Undo): () => Promise<void> {
    const entry = { what, undo }
    this.#stack.push(entry)
    let done: Promise<void> | undefined
    const run = async (): Promise<void> => {
      done ??= (async () => {
        const i = this.#stack.indexOf(entry)
        if (i >= 0) this.#stack.splice(i, 1)
        await undo()
      })()
      await done
    }
    // Registered while a signal is already cleaning up: the run is ending, undo at once.
    if (this.#running !== undefined) void run().catch(() => {})
    return run
  }

  /** Registers removal of a temp folder; returns the folder. */
  tempDir (dir: string): string {
    this.defer(`remove ${dir}`, () => { fs.rmSync(dir, { recursive: true, force: true }) })
    return dir
  }

  /** Runs every registered undo, newest first; each in its own try so one failure stops nothing. Idempotent. */
  async runAll (): Promise<void> {
    this.#running ??= (async () => {
      while (this.#stack.length > 0) {
        const { what, undo } = this.#stack.pop()!
        try {
          await undo()
        } catch (err) {
          process.stderr.write(`cleanup: ${what} failed: ${String(err)}\n`)
        }
      }
    })()
    await this.#running
  }

  /** SIGINT/SIGTERM clean up and exit (130/143); a second signal exits at once. */
  handleSignals (): void {
    for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
      process.once(signal, () => {
        process.stderr.write(`\n${signal}: cleaning up (again to force)\n`)
        process.once(signal, () => process.exit(code))
        void this.runAll().finally(() => process.exit(code))
      })
    }
  }
}
