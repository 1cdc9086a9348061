import { afterAll, describe, it } from 'vitest'
import { stopAllGatewayProcesses } from '../support/gateway-process.js'
import { crashRow, expectCrashGuarantees, runCrashScenario } from './crash.js'
import { chaosSeed, printSummaries, recordSummary } from './harness.js'

/** Full crash scenario (see crash.ts): 20 SIGKILLs under GHL-like load, per store. */

afterAll(async () => {
  await stopAllGatewayProcesses()
  printSummaries()
})

describe.each(['sqlite', 'postgres'] as const)('crash under GHL-like load (%s)', (store) => {
  it('20 × SIGKILL: nothing acked is lost, everything is delivered, no duplicate after dedupe, nothing dropped', async () => {
    const result = await runCrashScenario({
      store,
      kills: 20,
      rate: 250,
      seed: chaosSeed(),
      log: console.info,
    })
    recordSummary('crash', crashRow(result))
    expectCrashGuarantees(result)
  })
})
