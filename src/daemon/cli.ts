import { createRequire } from 'node:module'
import yargs from 'yargs'
import type { Argv } from 'yargs'
import { ConfigError, DEFAULT_CONFIG_FILE, describeSchema, describeUnknownVariables, loadConfig, redacted, schemaMarkdown } from '../config/config.js'
import type { Config } from '../config/config.js'

const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string }

/** What the commands do with a loaded config; injected so the CLI stays testable. */
export interface Commands {
  /** `reread` loads the configuration again from the same file, environment and flags (SIGHUP). */
  serve: (config: Config, reread: () => Config) => Promise<void>
  reap: (config: Config) => Promise<void>
}

interface CommonArgs {
  config?: string
  port?: number
  host?: string
  dir?: string
  workers?: number
  shards?: number
  'log-level'?: string
  'allow-private-networks'?: boolean
}

const EPILOGUE = [
  'Commands: serve (the default) runs the daemon; check-config validates the settings and exits; ' +
    'reap runs one reaper pass while the daemon is stopped.',
  `Settings come from, each overriding the one before: defaults < config file (--config PATH, else ${DEFAULT_CONFIG_FILE} ` +
    'when it exists) < environment (TOD_P2M_<SECTION>_<KEY>, e.g. TOD_P2M_SERVER_PORT; lists as a JSON array or commas) ' +
    '< these flags. Every setting: tod-p2m check-config --print-schema, or docs/config.md.'
].join('\n\n')

/**
 * The command line: `tod-p2m [serve]`, `tod-p2m check-config`. Keeps the original flags
 * `--port` and `--dir`, and their single-dash spelling (`-port 8080 -dir /tmp/downloads`).
 */
export function buildCli (argv: string[], commands: Commands): Argv {
  return yargs(argv)
    .scriptName('tod-p2m')
    .parserConfiguration({ 'short-option-groups': false })
    .version(version)
    .option('config', { type: 'string', describe: 'Config file (JSON, or YAML by extension); default /etc/tod-p2m/config.json when it exists' })
    .option('port', { type: 'number', describe: 'server.port: HTTP port' })
    .option('host', { type: 'string', describe: 'server.host: listen address' })
    .option('dir', { type: 'string', describe: 'torrent.dir: download folder' })
    .option('workers', { type: 'number', describe: 'server.workers: HTTP front-end processes (0 = CPUs)' })
    .option('shards', { type: 'number', describe: 'torrent.shards: engine threads (0 = CPUs)' })
    .option('log-level', { type: 'string', describe: 'logging.level' })
    .option('allow-private-networks', {
      type: 'boolean',
      describe: 'security.allow_private_networks: let torrents reach peers and trackers on loopback, LAN and other private addresses; use it to stream from a LAN swarm'
    })
    .command(['serve', '$0'], 'Run the daemon in the foreground', () => {}, async (args) => {
      warnUnknownVariables()
      await commands.serve(load(args), () => load(args))
    })
    .command('reap', 'Run one reaper pass over the data folder (quota, cache size) and exit; not while the daemon runs', () => {}, async (args) => {
      await commands.reap(load(args))
    })
    .command('check-config', 'Validate the configuration and exit (0 when valid)', (y) => y
      .option('print', { type: 'boolean', describe: 'Print the resolved configuration as JSON' })
      .option('print-schema', { type: 'boolean', describe: 'Print every setting with its doc, default and environment variable' })
      .option('markdown', { type: 'boolean', describe: 'With --print-schema: as the Markdown of docs/config.md' }),
    (args) => {
      if (args['print-schema'] === true) {
        process.stdout.write(args.markdown === true ? schemaMarkdown() : JSON.stringify(describeSchema(), null, 2) + '\n')
        return
      }
      warnUnknownVariables()
      const config = load(args)
      process.stdout.write(args.print === true ? JSON.stringify(redacted(config), null, 2) + '\n' : `configuration OK${config.source !== null ? ` (${config.source})` : ''}\n`)
    })
    .epilogue(EPILOGUE)
    .strict()
    .help()
    .fail((msg, err) => {
      if (err !== undefined) throw err
      process.stderr.write(`tod-p2m: ${msg}\n`)
      process.exit(64) // EX_USAGE
    })
}

/** Runs the command line; a bad configuration ends with its message and exit code 78. */
export async function runCli (argv: string[], commands: Commands): Promise<void> {
  try {
    await buildCli(argv, commands).parseAsync()
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`tod-p2m: ${err.message}\n`)
    process.exitCode = 78 // EX_CONFIG
  }
}

function load (args: CommonArgs): Config {
  return loadConfig({
    ...(args.config !== undefined ? { file: args.config } : {}),
    overrides: {
      'server.port': args.port,
      'server.host': args.host,
      'server.workers': args.workers,
      'torrent.dir': args.dir,
      'torrent.shards': args.shards,
      'logging.level': args['log-level'],
      'security.allow_private_networks': args['allow-private-networks']
    }
  })
}

/** A misspelt TOD_P2M_* variable would be ignored without a word: say so on stderr. */
function warnUnknownVariables (): void {
  for (const line of describeUnknownVariables()) process.stderr.write(`tod-p2m: warning: ${line}\n`)
}
