import { afterAll, it } from 'vitest'
import { stopAllGatewayProcesses } from '../support/gateway-process.js'
import { expectFuzzGuarantees, fuzzRow, runFuzz } from './fuzz.js'
import { chaosSeed, printSummaries, recordSummary } from './harness.js'

/** Full fuzzing run (see fuzz.ts): 100,000 requests through inject(), 3,000 over sockets to the binary. */

afterAll(async () => {
  await stopAllGatewayProcesses()
  printSummaries()
})

it('100,000+ generated bad requests: 0 crashes, 0 5xx, only catalog answers, 0 unauthenticated events stored', async () => {
  const result = await runFuzz({
    injectRuns: 100_000,
    socketRuns: 3000,
    seed: chaosSeed(),
    log: console.info,
  })
  recordSummary('fuzz', fuzzRow(result))
  expectFuzzGuarantees(result)
})
