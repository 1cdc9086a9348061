#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { ConfigError } from '../config-error.js'
import { coerceError } from '../errors.js'
import { KeyConfigError } from '../verify/index.js'
import { VERSION } from '../version.js'
import { registerDestinations } from './commands/destinations.js'
import { registerDev } from './commands/dev.js'
import { registerDlq } from './commands/dlq.js'
import { registerDoctor } from './commands/doctor.js'
import { registerEvents } from './commands/events.js'
import { registerGhl } from './commands/ghl.js'
import { registerKeys } from './commands/keys.js'
import { registerMigrate } from './commands/migrate.js'
import { registerReplay } from './commands/replay.js'
import { registerSend } from './commands/send.js'
import { registerServe } from './commands/serve.js'
import { registerSimulate } from './commands/simulate.js'
import { registerTail } from './commands/tail.js'
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './errors.js'

/**
 * `ghl-gateway <command>`. Exit codes: 0 done, 1 failure (could not start, database unreachable, a
 * request refused, a check failed), 2 usage or configuration error (fix the command line,
 * environment or config file). Each command lives in `commands/<name>.ts` and registers itself
 * with `program.command()`, so it inherits the settings below (exit override). A usage error is
 * one line and where the help is (`hintAfterErrors`), not the whole help.
 */

const program = new Command()
  .name('ghl-gateway')
  .description(
    'A durable webhook gateway for GoHighLevel: verify, store before ack, classify, process, deliver.',
  )
  .version(VERSION)
  .exitOverride()
  .addHelpText(
    'after',
    `
Developer loop (two terminals):
  $ ghl-gateway keys generate
  $ env $(ghl-gateway keys env) ghl-gateway serve            # terminal 1
  $ ghl-gateway send ContactCreate                           # terminal 2
  $ ghl-gateway tail                                         # terminal 3: watch them arrive
  $ ghl-gateway simulate --events 10000 --rate 500

Exit codes: 0 ok, 1 failure, 2 usage or configuration error.`,
  )

// `ghl-gateway events export | head`: a closed pipe ends the command quietly, not with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT_OK)
  throw error
})

registerServe(program)
registerMigrate(program)
registerKeys(program)
registerSend(program)
registerSimulate(program)
registerEvents(program)
registerTail(program)
registerReplay(program)
registerDlq(program)
registerDestinations(program)
registerDoctor(program)
registerDev(program)
registerGhl(program)
hintAfterErrors(program)

/** `ghl-gateway dlq list`: the command line that names a command. */
function commandPath(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

function usageHint(command: Command): string {
  return `(run '${commandPath(command)} --help' for usage)`
}

/** Every command, after a usage error, points at its own help instead of printing it. */
function hintAfterErrors(command: Command): void {
  command.showHelpAfterError(usageHint(command))
  for (const sub of command.commands) hintAfterErrors(sub)
}

/** The command whose action runs: its usage errors (thrown by the action) get its hint too. */
let running: Command = program
program.hook('preAction', (_program, action) => {
  running = action
})

/** Commander's own errors: help and version are not errors; everything else is a usage error. */
function commanderExit(error: CommanderError): number {
  if (
    error.code === 'commander.helpDisplayed' ||
    error.code === 'commander.version' ||
    (error.code === 'commander.help' && error.exitCode === 0)
  ) {
    return EXIT_OK
  }
  return EXIT_USAGE
}

program.parseAsync().catch((error: unknown) => {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (and the hint, for usage errors).
    process.exit(commanderExit(error))
  }
  if (error instanceof ConfigError || error instanceof KeyConfigError) {
    console.error(`ghl-gateway: ${error.message}`)
    process.exit(EXIT_USAGE)
  }
  if (error instanceof CliError) {
    console.error(`ghl-gateway: ${error.message}`)
    if (error instanceof UsageError) console.error(usageHint(running))
    process.exit(error.exitCode)
  }
  const { code, address, port } = error as { code?: string; address?: string; port?: number }
  if (code === 'EADDRINUSE') {
    console.error(
      `ghl-gateway: port ${port} on ${address} is already in use (by another program, or a gateway already running); ` +
        'stop it, or choose another port with --port or PORT',
    )
  } else {
    console.error(`ghl-gateway: ${coerceError(error).message}`)
  }
  process.exit(EXIT_FAILURE)
})
