import { threadId } from 'node:worker_threads'
import winston from 'winston'
import type { Config } from './config/config.js'

export type Logger = winston.Logger

/**
 * A logger for one role (supervisor, frontend, shard). JSON lines on stdout by default so
 * journald keeps them as they are; every line carries role, pid and thread id.
 */
export function createLogger (logging: Config['logging'], role: string, fields: Record<string, unknown> = {}): Logger {
  const format = logging.format === 'json'
    ? winston.format.combine(winston.format.timestamp(), winston.format.json())
    : winston.format.combine(
      winston.format.timestamp(),
      winston.format.printf(({ timestamp, level, message, ...rest }) => {
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')
        return `${String(timestamp)} ${level} ${String(message)} ${extra}`
      })
    )
  return winston.createLogger({
    level: logging.level,
    format,
    defaultMeta: { role, pid: process.pid, tid: threadId, ...fields },
    transports: [new winston.transports.Console()]
  })
}
