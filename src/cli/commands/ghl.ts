import type { Command } from 'commander'
import type { GhlCallAnswerJson, GhlCallRequestJson } from '../../api/schemas/index.js'
import { clientFor } from '../admin-client.js'
import { CliError, UsageError } from '../errors.js'
import { type ConnectionFlags, ADMIN_ENV_HELP as ENV_HELP, withConnection } from '../options.js'

/** `ghl call`: one GHL API call as a location or company, through the gateway (POST /api/ghl/call). */

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const

interface CallFlags extends ConnectionFlags {
  data?: string
  apiVersion?: string
  company?: boolean
  json?: boolean
}

export function registerGhl(program: Command): void {
  const ghl = program
    .command('ghl')
    .description("GHL's API through the gateway's tokens and limits (needs ADMIN_TOKEN).")

  withConnection(ghl.command('call'))
    .description("Call GHL's API as a location (or --company): prints GHL's answer.")
    .argument('<id>', 'the locationId (or companyId with --company)')
    .argument('<method>', METHODS.join(', '))
    .argument('<path>', 'from the API root, e.g. /contacts/abc (a query string may follow)')
    .option('--data <json>', 'the JSON body to send')
    .option(
      '--api-version <version>',
      "GHL's Version header (default: the operation's, from GHL's specs; --version is the gateway's)",
    )
    .option('--company', 'the id is a companyId (an agency token)')
    .option('--json', 'print {status, version, durationMs, rateLimit, data} as JSON')
    .addHelpText(
      'after',
      `
The call uses the gateway's stored token for that location (refreshed if needed), its rate limits
and the Version table: what a handler's ctx.ghl.request would get. Exit code 1 when GHL answers
anything but 2xx.

Examples:
  $ ghl-gateway ghl call ve9EPM428h8vShlRW1KT GET /contacts/ocQHyuzHvysMo5N5VsXc
  $ ghl-gateway ghl call ve9EPM428h8vShlRW1KT POST /contacts/ocQHyuzHvysMo5N5VsXc/notes --data '{"body":"hi"}'
  $ ghl-gateway ghl call ve9EPM428h8vShlRW1KT GET '/calendars/events?calendarId=c1' --json

${ENV_HELP}`,
    )
    .action(async (id: string, method: string, path: string, flags: CallFlags) => {
      const verb = method.toUpperCase()
      if (!(METHODS as readonly string[]).includes(verb))
        throw new UsageError(`method must be one of ${METHODS.join(', ')} (got ${method})`)
      if (!path.startsWith('/')) throw new UsageError(`the path starts with / (got ${path})`)
      let body: unknown
      if (flags.data !== undefined) {
        try {
          body = JSON.parse(flags.data)
        } catch {
          throw new UsageError('--data must be JSON, e.g. --data \'{"body":"hi"}\'')
        }
      }
      const request: GhlCallRequestJson = {
        ...(flags.company ? { companyId: id } : { locationId: id }),
        method: verb as GhlCallRequestJson['method'],
        path,
        ...(body === undefined ? {} : { body }),
        ...(flags.apiVersion ? { version: flags.apiVersion } : {}),
      }
      const answer = await clientFor(flags).post<GhlCallAnswerJson>('/api/ghl/call', request)
      if (flags.json) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
      else {
        const left = answer.rateLimit['x-ratelimit-remaining']
        const limit = left === undefined ? '' : `, ${left} calls left in this 10 s window`
        process.stderr.write(
          `GHL answered ${answer.status} (Version ${answer.version}, ${answer.durationMs} ms${limit})\n`,
        )
        process.stdout.write(
          `${typeof answer.data === 'string' ? answer.data : JSON.stringify(answer.data, null, 2)}\n`,
        )
      }
      if (answer.status < 200 || answer.status >= 300) throw new CliError(`GHL answered ${answer.status}`)
    })
}
