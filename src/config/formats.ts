import convict from 'convict'

/**
 * The two formats of ours the schema uses. convict reads a Boolean from the environment as
 * "anything but `false` is true" (so `TOD_P2M_SECURITY_ALLOW_PRIVATE_NETWORKS=0` turned it on)
 * and an Array as the string split at commas (so a JSON array became `['["*"]']`).
 */

const TRUE = new Set(['true', '1', 'yes', 'on'])
const FALSE = new Set(['false', '0', 'no', 'off'])

let registered = false

/** Registers 'bool' and 'list' with convict (once). */
export function registerFormats (): void {
  if (registered) return
  registered = true
  convict.addFormats({
    bool: {
      validate: (v: unknown) => {
        if (typeof v !== 'boolean') throw new Error('must be true or false (or 1/0, yes/no, on/off)')
      },
      // Unknown words stay strings, so validation names the key.
      coerce: (v: string) => {
        const w = v.trim().toLowerCase()
        return TRUE.has(w) ? true : FALSE.has(w) ? false : v
      }
    },
    list: {
      validate: (v: unknown) => {
        if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw new Error('must be a list of strings (a JSON array, or comma-separated)')
      },
      coerce: (v: string) => parseList(v)
    }
  })
}

/** A JSON array of strings, or comma-separated values (trimmed, empty ones dropped). */
export function parseList (text: string): unknown {
  const t = text.trim()
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t)
    } catch {
      return text // not JSON: validation names the key
    }
  }
  return t === '' ? [] : t.split(',').map((s) => s.trim()).filter((s) => s !== '')
}
