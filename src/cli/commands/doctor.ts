import type { Command } from 'commander'
import { VERSION } from '../../version.js'
import type { Check, CheckStatus } from '../doctor/check.js'
import { portOption } from '../options.js'
import { type Style, styleFor } from '../ui/style.js'

interface DoctorFlags {
  port?: number
  host?: string
  database?: string
  config?: string
  timeUrl?: string
  json?: boolean
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'Check configuration, keys, database, destinations, disk, clock and port, and say what to fix.',
    )
    .option('-p, --port <port>', 'as for serve (env PORT)', portOption)
    .option('--host <host>', 'as for serve (env HOST)')
    .option('-d, --database <url>', 'as for serve (env DATABASE_URL)')
    .option('-c, --config <file>', 'as for serve (env GATEWAY_CONFIG)')
    .option(
      '--time-url <url>',
      "compare the clock with this server's Date header (e.g. https://www.google.com)",
    )
    .option('--json', 'print {ok, checks} as JSON')
    .addHelpText(
      'after',
      `
Reads the environment and config file with serve's own loader, parses the trusted keys as serve
does, compares the database's applied migrations with this version's (applies none; pending ones
fail the check: run \`ghl-gateway migrate\`), warns about each orphaned destination (a config-file
destination no running gateway's config file defines: paused, its deliveries kept), checks free
disk space where the SQLite file lives, tries to bind PORT on HOST (and names where a running gateway
is bound), reports GHL tokens that need re-authorising (a location must install the app again, or
set a new Private Integration Token), reports ADMIN_TOKEN, and shows the warnings serve logs at boot (GHL_SIGNATURE_MODE=off,
sources open to replays or to anyone, misspelt GHL_/WORKER_/… variables).
Exit code 1 when a check fails (warnings do not fail), 2 for usage errors.

Examples:
  $ ghl-gateway doctor
  $ DATABASE_URL=postgres://gateway:secret@db:5432/gateway ghl-gateway doctor --json

Environment: everything serve reads (PORT, HOST, DATABASE_URL, DURABILITY, GHL_SIGNATURE_MODE,
GHL_ED25519_PUBLIC_KEYS, GHL_RSA_PUBLIC_KEYS, ADMIN_TOKEN, GATEWAY_CONFIG, …).`,
    )
    .action(async (flags: DoctorFlags) => {
      // Loaded here: the other commands do not need the store's modules.
      const [
        { checkAdminToken, checkConfig, checkKeys, checkWarnings },
        system,
        { checkDestinations },
        { checkGhlTokens },
      ] = await Promise.all([
        import('../doctor/config-checks.js'),
        import('../doctor/system-checks.js'),
        import('../doctor/destination-checks.js'),
        import('../doctor/ghl-token-checks.js'),
      ])
      const { checkClock, checkDatabase, checkDisk, checkPort } = system
      const cwd = process.cwd()
      const checks: Check[] = []
      const { check, config } = checkConfig({
        overrides: { port: flags.port, host: flags.host, database: flags.database, config: flags.config },
      })
      checks.push(check)
      checks.push(...checkKeys(process.env, cwd))
      checks.push(...checkWarnings(config))
      if (config) {
        const database = await checkDatabase(config, cwd)
        checks.push(database)
        if (database.status === 'ok' || database.status === 'warn')
          checks.push(...(await checkDestinations(config, cwd)), ...(await checkGhlTokens(config, cwd)))
        checks.push(checkDisk(config, cwd))
        checks.push(await checkPort(config))
        checks.push(checkAdminToken(config))
      } else {
        checks.push({ name: 'database', status: 'info', message: 'not checked: fix the configuration first' })
      }
      checks.push(await checkClock(flags.timeUrl))
      const ok = !checks.some((c) => c.status === 'fail')
      if (flags.json) console.log(JSON.stringify({ ok, version: VERSION, checks }, null, 2))
      else printChecks(checks, styleFor(process.stdout))
      process.exitCode = ok ? 0 : 1
    })
}

const LABEL: Record<CheckStatus, string> = { ok: 'ok  ', info: 'info', warn: 'warn', fail: 'FAIL' }

function printChecks(checks: readonly Check[], style: Style): void {
  const colour: Record<CheckStatus, (t: string) => string> = {
    ok: style.green,
    info: style.dim,
    warn: style.yellow,
    fail: style.red,
  }
  const width = Math.max(...checks.map((c) => c.name.length)) + 2
  console.log(style.bold(`ghl-gateway ${VERSION} doctor`))
  for (const c of checks) {
    console.log(`${colour[c.status](LABEL[c.status])}  ${c.name.padEnd(width)}${c.message}`)
    if (c.fix && (c.status === 'warn' || c.status === 'fail'))
      console.log(`${' '.repeat(6 + width)}→ ${c.fix}`)
  }
  console.log(`\n${summary(checks, style)}`)
}

/** The last line: problems and warnings counted, "Nothing to fix." only when there are neither. */
function summary(checks: readonly Check[], style: Style): string {
  const count = (status: CheckStatus, word: string) => {
    const n = checks.filter((c) => c.status === status).length
    return n === 0 ? '' : `${n} ${word}${n === 1 ? '' : 's'}`
  }
  const problems = count('fail', 'problem')
  const warnings = count('warn', 'warning')
  if (problems) return style.red(`${problems} to fix${warnings ? `, ${warnings}` : ''} (see → above).`)
  if (warnings) return style.yellow(`No problems; ${warnings} (see → above).`)
  return style.green('Nothing to fix.')
}
