import { afterAll, describe, it } from 'vitest'
import { crashRow, expectCrashGuarantees, runCrashScenario } from './chaos/crash.js'
import {
  destinationFaultRow,
  expectDestinationFaultGuarantees,
  runDestinationFaults,
} from './chaos/destination-faults.js'
import { expectFuzzGuarantees, fuzzRow, runFuzz } from './chaos/fuzz.js'
import { chaosSeed, printSummaries, recordSummary } from './chaos/harness.js'
import {
  expectStorageFaultGuarantees,
  runStorageFault,
  storageFaultRow,
  tmpfsUnavailable,
} from './chaos/storage-faults.js'
import { stopAllGatewayProcesses } from './support/gateway-process.js'

/**
 * The reliability suite, short: the same scenarios as `npm run chaos` (test/chaos/, documented in
 * docs/reliability.md) with small parameters — 3 kills per store, one storage outage per store, one
 * destination-fault run, 5,000 fuzzed requests — so every `npm test` checks the guarantees.
 * `CHAOS_SEED=<n>` replays a run's random plan (the seed is in every failure message).
 */

const tmpfsSkip = tmpfsUnavailable()
if (tmpfsSkip) console.warn(`[reliability] skipping SQLite on a full disk: ${tmpfsSkip}`)

afterAll(async () => {
  await stopAllGatewayProcesses()
  printSummaries()
})

describe('reliability (short; npm run chaos for the full suite)', () => {
  it.each(['sqlite', 'postgres'] as const)(
    'crash: 3 × SIGKILL under GHL-like load (%s)',
    async (store) => {
      const result = await runCrashScenario({
        store,
        kills: 3,
        rate: 100,
        uptimeMs: [300, 800],
        seed: chaosSeed(),
        log: console.info,
      })
      recordSummary('crash', crashRow(result))
      expectCrashGuarantees(result)
    },
    90_000,
  )

  it('destination faults: delivered exactly once after dedupe, or in the DLQ with its attempts (sqlite)', async () => {
    const result = await runDestinationFaults({
      store: 'sqlite',
      events: 250,
      seed: chaosSeed(),
      log: console.info,
    })
    recordSummary('destination-faults', destinationFaultRow(result))
    expectDestinationFaultGuarantees(result)
  }, 90_000)

  it.skipIf(tmpfsSkip !== undefined)(
    `storage: SQLite on a full disk${tmpfsSkip ? ` (skipped: ${tmpfsSkip})` : ''}`,
    async () => {
      const result = await runStorageFault({
        fault: 'sqlite-full-disk',
        outageMs: 1500,
        seed: chaosSeed(),
        log: console.info,
      })
      recordSummary('storage', storageFaultRow(result))
      expectStorageFaultGuarantees(result)
    },
    90_000,
  )

  it('storage: PostgreSQL stopped and restarted', async () => {
    const result = await runStorageFault({
      fault: 'postgres-down',
      outageMs: 1500,
      seed: chaosSeed(),
      log: console.info,
    })
    recordSummary('storage', storageFaultRow(result))
    expectStorageFaultGuarantees(result)
  }, 90_000)

  it('fuzz: 5,000 generated bad requests (+300 over sockets)', async () => {
    const result = await runFuzz({ injectRuns: 5000, socketRuns: 300, seed: chaosSeed(), log: console.info })
    recordSummary('fuzz', fuzzRow(result))
    expectFuzzGuarantees(result)
  }, 90_000)
})
