import { Command, InvalidArgumentError, Option } from 'commander'
import { integerOption } from '../../src/cli/options.js'

/**
 * The benchmarks' command lines, on commander as the gateway's own CLI is. Each script declares its
 * options once; commander writes `--help` from them (defaults included) and checks every value as it
 * is read. A bad value, an unknown option or a stray argument prints one line and the help hint, and
 * exits 2 (the suites' code for bad options); `--help` exits 0.
 *
 *   const o = benchCommand('signatures.ts', 'Signature verification cost')
 *     .option('--runs <n>', 'runs per row', int(1, 50), 5)
 *     .parse(argv, { from: 'user' })
 *     .opts<{ runs: number }>()
 */
export function benchCommand(script: string, summary: string): Command {
  const usage = `npx tsx bench/${script}`
  return new Command(usage)
    .description(summary)
    .showHelpAfterError(`(run '${usage} --help' for usage)`)
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
}

/** An integer option in [min, max]: the gateway CLI's own check. */
export const int = integerOption

/** A comma-separated list, each item read by `item` (`1,5` → [1, 5]). */
export function list<T>(item: (text: string) => T) {
  return (text: string): T[] => text.split(',').map((part) => item(part.trim()))
}

/** One of `names`, for lists of stores, targets, suites. */
export function oneOf<T extends string>(names: readonly T[]) {
  return (text: string): T => {
    if (!names.includes(text as T))
      throw new InvalidArgumentError(`"${text}" is not one of ${names.join(', ')}`)
    return text as T
  }
}

/** A list option whose default shows in `--help` as it is typed (`1,5`), not as JSON. */
export function listOption<T>(flags: string, description: string, item: (text: string) => T, defaults: T[]) {
  return new Option(flags, description).argParser(list(item)).default(defaults, defaults.join(','))
}

/** `--quiet-wait <s>`: every measuring suite first waits for a quiet machine (bench/lib/machine.ts). */
export function quietWaitOption(when = 'before each run', fallback = 30): Option {
  return new Option('--quiet-wait <s>', `wait up to this many seconds for a quiet machine ${when}`)
    .argParser(int(0, 3600))
    .default(fallback)
}

/** `--no-save`: the suite writes bench/results/<suite>-<timestamp>.json unless told not to. */
export function noSaveOption(suite: string): Option {
  return new Option('--no-save', `do not write bench/results/${suite}-<timestamp>.json`)
}

/** Repeated `--gateway-env KEY=VALUE` options, gathered into an env object. */
export function gatewayEnvOption(description = 'extra gateway env, repeatable'): Option {
  return new Option('--gateway-env <K=V>', description)
    .argParser((pair: string, env: Record<string, string>) => {
      const eq = pair.indexOf('=')
      if (eq <= 0) throw new InvalidArgumentError('expects KEY=VALUE')
      return { ...env, [pair.slice(0, eq)]: pair.slice(eq + 1) }
    })
    .default({}, 'none')
}
