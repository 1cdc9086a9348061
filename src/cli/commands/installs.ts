import type { Command } from 'commander'
import type { InstallJson, InstallPageJson } from '../../api/schemas/index.js'
import { clientFor } from '../admin-client.js'
import { UsageError } from '../errors.js'
import { choiceOption, ADMIN_ENV_HELP as ENV_HELP, integerOption, withConnection } from '../options.js'
import { cell, formatTable } from '../ui/table.js'

/** `installs list|show|set-tenant`: the admin API's /api/installs (where the GHL app is installed). */

interface ConnectionFlags {
  url: string
  token?: string
}

const time = (iso: string | null) => (iso === null ? '' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z'))

function printInstalls(items: readonly InstallJson[]): void {
  if (!items.length) {
    console.log('no installations match')
    return
  }
  const rows = items.map((i) => [
    i.kind,
    i.id,
    cell(i.companyId),
    i.status,
    i.token?.status ?? 'no token',
    time(i.installedAt),
    time(i.uninstalledAt),
    i.bulk ? 'bulk' : '',
    cell(i.tenantId),
  ])
  console.log(
    formatTable(
      ['KIND', 'ID', 'COMPANY', 'STATUS', 'TOKEN', 'INSTALLED', 'UNINSTALLED', 'BULK', 'TENANT'],
      rows,
    ),
  )
}

function printInstall(i: InstallJson): void {
  const lines: [string, string][] = [
    ['kind', i.kind],
    ['id', i.id],
    ['company', i.companyId ?? '—'],
    ['status', i.status],
    ['installed', time(i.installedAt)],
    ['uninstalled', time(i.uninstalledAt) || '—'],
    ['bulk', i.bulk ? 'yes' : 'no'],
    ['tenant id', i.tenantId ?? '—'],
    [
      'token',
      i.token
        ? i.token.status + (i.token.statusReason ? ` (${i.token.statusReason})` : '')
        : 'none stored yet',
    ],
  ]
  if (i.token) {
    lines.push(['scopes', i.token.scopes.join(' ') || '—'])
    lines.push(['expires', time(i.token.expiresAt) || 'never'])
    lines.push(['refreshed', time(i.token.refreshedAt) || '—'])
  }
  for (const [name, value] of lines) console.log(`${name.padEnd(12)}${value}`)
}

export function registerInstalls(program: Command): void {
  const installs = program
    .command('installs')
    .description("Where the GHL app is installed, through a running gateway's admin API (needs ADMIN_TOKEN).")
    .addHelpText(
      'after',
      `\nExamples:\n  $ ghl-gateway installs list --needs-reauth\n  $ ghl-gateway installs show location loc_123\n  $ ghl-gateway installs set-tenant loc_123 acme-42\n\n${ENV_HELP}`,
    )

  withConnection(installs.command('list'))
    .description('List installations: companies, then locations, in id order.')
    .option(
      '--status <status>',
      'installed or uninstalled',
      choiceOption(['installed', 'uninstalled'] as const),
    )
    .option('--needs-reauth', 'only those whose token GHL refused (they must install the app again)')
    .option('--company <id>', 'only this company (agency) and its locations')
    .option('-n, --limit <n>', 'how many (1–200)', integerOption(1, 200), 50)
    .option('--cursor <cursor>', 'continue after a previous page (printed at the end)')
    .option('--json', 'print {data, nextCursor} as JSON')
    .action(
      async (
        flags: ConnectionFlags & {
          status?: string
          needsReauth?: boolean
          company?: string
          limit: number
          cursor?: string
          json?: boolean
        },
      ) => {
        const page = await clientFor(flags).get<InstallPageJson>('/api/installs', {
          status: flags.status,
          needsReauth: flags.needsReauth ? 'true' : undefined,
          company: flags.company,
          limit: flags.limit,
          cursor: flags.cursor,
        })
        if (flags.json) return console.log(JSON.stringify(page, null, 2))
        printInstalls(page.data)
        if (page.nextCursor)
          console.error(`more: ghl-gateway installs list --cursor ${page.nextCursor} (same filters)`)
      },
    )

  withConnection(installs.command('show'))
    .description('Show one installation and the state of its token (never the token).')
    .argument('<kind>', 'location or company')
    .argument('<id>', 'the GHL locationId or companyId')
    .option('--json', "print the API's JSON")
    .action(async (kind: string, id: string, flags: ConnectionFlags & { json?: boolean }) => {
      if (kind !== 'location' && kind !== 'company')
        throw new UsageError(`<kind> must be location or company (got "${kind}")`)
      const install = await clientFor(flags).get<InstallJson>(
        `/api/installs/${kind}/${encodeURIComponent(id)}`,
      )
      if (flags.json) return console.log(JSON.stringify(install, null, 2))
      printInstall(install)
    })

  withConnection(installs.command('set-tenant'))
    .description("Set a location's tenant id (its id in your own system; carried in event envelopes).")
    .argument('<location>', 'the GHL locationId')
    .argument('[tenant]', 'the tenant id (at most 200 characters); leave out with --clear')
    .option('--clear', 'remove the tenant id')
    .option('--json', "print the API's JSON")
    .action(
      async (
        location: string,
        tenant: string | undefined,
        flags: ConnectionFlags & { clear?: boolean; json?: boolean },
      ) => {
        if ((tenant === undefined) === !flags.clear)
          throw new UsageError('give a tenant id, or --clear (not both)')
        const install = await clientFor(flags).patch<InstallJson>(
          `/api/installs/location/${encodeURIComponent(location)}`,
          {
            tenantId: flags.clear ? null : tenant,
          },
        )
        if (flags.json) return console.log(JSON.stringify(install, null, 2))
        printInstall(install)
      },
    )
}
