import type { OperationalReport } from '../catalog/index.js'
import type { CircuitSnapshot } from './http/circuit-breaker.js'

/** What a destination reports to the operational events (catalog/gateway-events.ts). */

export function pausedReport(
  destinationId: string,
  by: 'gone' | 'operator',
  reason: string,
): OperationalReport {
  return {
    type: 'gateway.destination.paused',
    subject: destinationId,
    details: {
      destinationId,
      by,
      reason,
      message: `destination ${destinationId} paused (${reason}); its deliveries wait until it is resumed`,
      consolePath: `/ui/destinations/${encodeURIComponent(destinationId)}`,
    },
  }
}

/** The circuit opened or closed; `window` is the breaker's count when it opened (before it reset). */
export function circuitReport(
  destinationId: string,
  state: 'open' | 'closed',
  snapshot: Pick<CircuitSnapshot, 'cooldownMs'>,
  window: { attempts: number; failures: number },
): OperationalReport {
  const base = {
    destinationId,
    attempts: window.attempts,
    failures: window.failures,
    cooldownMs: snapshot.cooldownMs,
    consolePath: `/ui/destinations/${encodeURIComponent(destinationId)}`,
  }
  return state === 'open'
    ? {
        type: 'gateway.destination.circuit_opened',
        subject: destinationId,
        details: {
          ...base,
          message: `destination ${destinationId}: circuit opened (${window.failures} of ${window.attempts} attempts failed); nothing is sent for ${Math.round(snapshot.cooldownMs / 1000)} s, then one probe`,
        },
      }
    : {
        type: 'gateway.destination.circuit_closed',
        subject: destinationId,
        details: { ...base, message: `destination ${destinationId}: circuit closed, a probe succeeded` },
      }
}
