import { newId } from '../../ids.js'
import type { AttemptOutcome } from '../delivery-states.js'
import { errorFingerprint } from '../error-fingerprint.js'
import type { Attempt, AttemptResult } from '../types.js'

/** What both stores write when an attempt ends: the delivery's next columns and the attempt's outcome. */
export function attemptEnd(next: AttemptResult['next'], now: number) {
  return {
    state: next.state,
    /** A retry waits for its time; a finished delivery keeps `now` (nothing reads it). */
    runAt: next.state === 'retry_scheduled' ? next.runAt : now,
    lastError: next.state === 'succeeded' ? null : next.error,
    /** Only when the delivery dies: the dead-letter queue groups by it (error-fingerprint.ts). */
    errorFingerprint: next.state === 'dead' ? errorFingerprint(next.error) : null,
    completedAt: next.state === 'retry_scheduled' ? null : now,
    /** Attempts to give back: 1 for a deferral (not a failed attempt), else 0. */
    givesBack: next.state === 'retry_scheduled' && next.deferred ? 1 : 0,
    /** Recorded only when the lease was still held; otherwise the attempt is `lease_lost`. */
    outcome: outcomeOf(next.state),
  }
}

function outcomeOf(state: AttemptResult['next']['state']): AttemptOutcome {
  switch (state) {
    case 'succeeded':
      return 'succeeded'
    case 'retry_scheduled':
      return 'retry'
    case 'dead':
      return 'dead'
    default: {
      const unreachable: never = state
      throw new Error(`unknown next state ${unreachable}`)
    }
  }
}

/** The previous holder of a delivery a claim takes over, read before the claim leased it again. */
export interface LostLease {
  deliveryId: string
  /** The number of the attempt that was running when the lease ran out. */
  number: number
  cycle: number
  owner: string | null
  /** When the previous claim leased it, ms. */
  leasedAt: number
}

/**
 * The attempt a claim records for a lease that ran out without a report (the worker crashed or
 * stalled): history only — the claim itself is the retry.
 */
export function lostLeaseAttempt(lost: LostLease, now: number): Attempt {
  return {
    id: newId('att', now),
    deliveryId: lost.deliveryId,
    number: lost.number,
    cycle: lost.cycle,
    worker: lost.owner ?? 'unknown',
    startedAt: lost.leasedAt,
    durationMs: now - lost.leasedAt,
    outcome: 'lease_lost',
    errorClass: 'LeaseExpired',
    errorMessage: 'the worker holding this delivery stopped without reporting (crash or stall); retrying',
    errorStack: null,
    response: null,
    traceId: null,
  }
}
