import { existsSync } from 'node:fs'
import { configFileText, type GatewayConfig } from '../../config/index.js'
import { coerceError } from '../../errors.js'
import { openStore } from '../../store/open-store.js'
import type { Check } from './check.js'
import { sqlitePath } from './system-checks.js'

/**
 * Doctor: the destinations in the database as this configuration would meet them. An orphan (a
 * config destination no running gateway's config file defines: paused, kept with its deliveries,
 * src/destinations/config-claims.ts) is a warning each; a config destination this config file
 * lacks while another gateway claims it is worth a line — starting here would not run it.
 */
export async function checkDestinations(config: GatewayConfig, cwd: string): Promise<Check[]> {
  const file = sqlitePath(config.DATABASE_URL, cwd)
  if (file && !existsSync(file)) return []
  const store = openStore({ url: config.DATABASE_URL, durability: config.DURABILITY, poolSize: 1 })
  try {
    const rows = await store.listDestinations()
    const fromFile = new Set(config.file.destinations.map((d) => d.id))
    const orphans = rows.filter((row) => row.orphanedAt !== null)
    const elsewhere = rows.filter(
      (row) => row.origin === 'config' && row.orphanedAt === null && !fromFile.has(row.id),
    )
    const open = await store.countOpenDeliveries(orphans.map((row) => row.id))
    const checks: Check[] = orphans.map((row) => {
      const n = open.get(row.id) ?? 0
      return {
        name: 'destinations',
        status: 'warn',
        message: `${row.id} is orphaned since ${new Date(row.orphanedAt!).toISOString()}: no running gateway has it in its config file; paused, ${n} open deliver${n === 1 ? 'y' : 'ies'} kept`,
        fix: `start the gateway with the config file that defines it (GATEWAY_CONFIG or --config), or delete it: ghl-gateway destinations delete ${row.id}`,
      }
    })
    const here = configFileText(config.configFile, config.configSearchDir)
    for (const row of elsewhere) {
      checks.push({
        name: 'destinations',
        status: 'info',
        message: `${row.id} comes from another running gateway's config file, not this one (${here}): a gateway started like this would not run it`,
      })
    }
    if (!checks.length) {
      checks.push({
        name: 'destinations',
        status: 'ok',
        message: `${rows.length} in the database, none orphaned`,
      })
    }
    return checks
  } catch (error) {
    // The database check says what is wrong with the database itself.
    return [
      {
        name: 'destinations',
        status: 'info',
        message: `not checked: ${coerceError(error).message}`,
      },
    ]
  } finally {
    await store.close().catch(() => {})
  }
}
