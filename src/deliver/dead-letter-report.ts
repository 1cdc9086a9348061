import { type OperationalReport, publishedType, type TypeMapper } from '../catalog/index.js'
import type { Subscriber } from '../dispatch/subscribers.js'
import type { AttemptResult, ClaimedDelivery } from '../store/types.js'

/**
 * What a dead-lettered delivery reports to the operational events (catalog/gateway-events.ts):
 * subject the subscriber, so a storm to one destination coalesces into one alert per window.
 * Undefined for any other result.
 */
export function deadLetterReport(
  delivery: ClaimedDelivery,
  result: AttemptResult,
  subscriber: Pick<Subscriber, 'kind'> | undefined,
  types: TypeMapper,
): OperationalReport | undefined {
  if (result.next.state !== 'dead') return undefined
  const { event, subscriberId } = delivery
  const eventType = publishedType(event, types)
  const kind = subscriber?.kind ?? 'destination'
  return {
    type: 'gateway.delivery.dead_lettered',
    subject: subscriberId,
    sampleId: delivery.id,
    details: {
      deliveryId: delivery.id,
      eventId: event.id,
      eventType,
      eventSource: event.source,
      subscriberId,
      subscriberKind: kind,
      attempts: delivery.attempts,
      error: result.next.error,
      message: `${kind} ${subscriberId}: delivery ${delivery.id} of ${eventType} (${event.id}) dead-lettered after ${delivery.attempts} attempt${delivery.attempts === 1 ? '' : 's'}: ${result.next.error}`,
      consolePath: `/ui/deliveries/${delivery.id}`,
    },
  }
}
