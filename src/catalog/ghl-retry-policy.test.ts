import { describe, expect, it } from 'vitest'
import { ghlRetryOutcome } from './ghl-retry-policy.js'

describe("GHL's retry policy (guide 2026-08-30)", () => {
  it('a 2xx is delivered: no retry', () => {
    expect(ghlRetryOutcome(200)).toMatch(/^GHL counts 200 as delivered: it does not retry/)
    expect(ghlRetryOutcome(204)).toMatch(/does not retry/)
  })

  it('any other status, and no answer, is retried up to 12 times and lowers the success rate', () => {
    for (const status of [301, 401, 429, 500, 503]) {
      expect(ghlRetryOutcome(status)).toMatch(
        new RegExp(`^${status} is a failure to GHL: it retries .* up to 12 times`),
      )
    }
    expect(ghlRetryOutcome(undefined)).toMatch(/^No answer .* it retries/)
    expect(ghlRetryOutcome(199)).toMatch(/retries/)
  })
})
