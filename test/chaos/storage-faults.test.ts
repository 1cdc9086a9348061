import { afterAll, describe, it } from 'vitest'
import { stopAllGatewayProcesses } from '../support/gateway-process.js'
import { chaosSeed, printSummaries, recordSummary } from './harness.js'
import {
  expectStorageFaultGuarantees,
  runStorageFault,
  storageFaultRow,
  tmpfsUnavailable,
} from './storage-faults.js'

/** Full storage-fault scenarios (see storage-faults.ts): two outages of 5 s each per store. */

const tmpfsSkip = tmpfsUnavailable()
if (tmpfsSkip) console.warn(`[storage-faults] skipping SQLite on a full disk: ${tmpfsSkip}`)

afterAll(async () => {
  await stopAllGatewayProcesses()
  printSummaries()
})

describe.skipIf(tmpfsSkip !== undefined)(
  `SQLite on a full disk${tmpfsSkip ? ` (skipped: ${tmpfsSkip})` : ''}`,
  () => {
    it.each([1, 2])(
      'outage %i: 503 while full, nothing acked lost, recovers by itself, deliveries resume',
      async () => {
        const result = await runStorageFault({
          fault: 'sqlite-full-disk',
          rate: 150,
          outageMs: 5000,
          seed: chaosSeed(),
          log: console.info,
        })
        recordSummary('storage', storageFaultRow(result))
        expectStorageFaultGuarantees(result)
      },
    )
  },
)

describe('PostgreSQL stopped and restarted', () => {
  it.each([1, 2])(
    'outage %i: 503 while down, nothing acked lost, recovers by itself, deliveries resume',
    async () => {
      const result = await runStorageFault({
        fault: 'postgres-down',
        rate: 150,
        outageMs: 5000,
        seed: chaosSeed(),
        log: console.info,
      })
      recordSummary('storage', storageFaultRow(result))
      expectStorageFaultGuarantees(result)
    },
  )
})
