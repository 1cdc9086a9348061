import { afterAll, describe, it } from 'vitest'
import { stopAllGatewayProcesses } from '../support/gateway-process.js'
import {
  destinationFaultRow,
  expectDestinationFaultGuarantees,
  runDestinationFaults,
} from './destination-faults.js'
import { chaosSeed, printSummaries, recordSummary } from './harness.js'

/** Full destination-fault scenario (see destination-faults.ts), per store. */

afterAll(async () => {
  await stopAllGatewayProcesses()
  printSummaries()
})

describe.each(['sqlite', 'postgres'] as const)('destination faults (%s)', (store) => {
  it('30 % faults: every event delivered exactly once after dedupe, or in the DLQ with all its attempts', async () => {
    const result = await runDestinationFaults({
      store,
      events: 2000,
      rate: 150,
      seed: chaosSeed(),
      log: console.info,
    })
    recordSummary('destination-faults', destinationFaultRow(result))
    expectDestinationFaultGuarantees(result)
  })
})
