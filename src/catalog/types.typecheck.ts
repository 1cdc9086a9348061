/**
 * Type tests, checked by `tsc --noEmit` (npm run typecheck), not run by vitest. Each
 * `@ts-expect-error` must stay necessary: if a line below it starts compiling, tsc fails, which
 * is how a regression in the derived payload types (e.g. an index signature creeping in) shows up.
 * The calls sit inside a function that is never called, so the compiled file is inert.
 */

import type { Gateway } from '../gateway.js'
import type {
  AnyGhlEvent,
  CanonicalEventMap,
  CanonicalEventName,
  EventFor,
  GhlEvent,
  GhlEventMap,
  GhlEventName,
} from './index.js'

declare function on<N extends GhlEventName | CanonicalEventName>(name: N, fn: (e: EventFor<N>) => void): void
declare function expectType<T>(value: T): void

export function typeTests(): void {
  // By doc name and by canonical name: the same payload type.
  on('OpportunityStageUpdate', (e) => {
    expectType<string | null | undefined>(e.data.pipelineStageId)
    expectType<'OpportunityStageUpdate'>(e.name)
    // @ts-expect-error misspelt field: no index signature on payload types
    e.data.pipelineStagId
  })
  on('opportunity.stage_changed', (e) => {
    expectType<string | null | undefined>(e.data.pipelineStageId)
    expectType<string>(e.data.id)
    // @ts-expect-error misspelt field
    e.data.pipelineStagId
  })

  // The routing traps are typed too: doc name in, body `type` value in the payload.
  on('AppInstall', (e) => expectType<'INSTALL'>(e.data.type))
  on('ConversationUnreadWebhook', (e) => expectType<'ConversationUnreadUpdate'>(e.data.type))
  on('ProviderOutboundMessage', (e) => expectType<'SMS' | 'Email'>(e.data.type))
  on('price.updated', (e) => expectType<string | null | undefined>(e.data.type))
  on('AppointmentCreate', (e) => expectType<string>(e.data.appointment.id))
  on('SaaSPlanCreate', (e) => {
    const plans = Array.isArray(e.data) ? e.data : [e.data]
    expectType<string>(plans[0]!.planId)
  })
  on('invoice.paid', (e) => {
    expectType<string>(e.data._id)
    // @ts-expect-error Invoice bodies have no event type
    e.data.type
  })

  // @ts-expect-error not an event: OpportunityStageChange does not exist
  on('OpportunityStageChange', () => {})
  // @ts-expect-error not a canonical name
  on('contact.create', () => {})

  const stage = {} as GhlEvent<'OpportunityStageUpdate'>
  expectType<string | null | undefined>(stage.data.pipelineStageId)
  expectType<GhlEventMap['OpportunityStageUpdate']>({} as CanonicalEventMap['opportunity.stage_changed'])
  expectType<GhlEvent<'OpportunityStageUpdate'>['data']['pipelineStageId']>('b3a1c9e2')

  // AnyGhlEvent narrows on `name`.
  const any = {} as AnyGhlEvent
  if (any.name === 'ContactTagUpdate') expectType<string[] | null | undefined>(any.data.tags)
  if (any.name === 'unknown') expectType<unknown>(any.data)
  // @ts-expect-error data is not narrowed before checking the name
  any.data.tags

  // gw.on: GHL names are typed; other patterns take any event; a misspelt doc name does not compile.
  const gw = {} as Gateway
  gw.on('ContactCreate', (e) => expectType<string>(e.data.id))
  gw.on('contact.created', (e) => expectType<'ContactCreate'>(e.name))
  gw.on('contact.*', (e) => expectType<AnyGhlEvent>(e))
  gw.on('*', () => {})
  gw.on('unknown', () => {})
  gw.on('myapp.contact.ingested', () => {})
  gw.on('jira:issue_created', () => {})
  gw.on('payment_succeeded', () => {})
  gw.on('AUTHORISATION', () => {}, { sources: ['adyen'] })
  const pattern: string = 'contact.created'
  gw.on(pattern, () => {})
  // @ts-expect-error misspelt GHL doc name: no overload matches
  gw.on('ContactCreat', () => {})
  // @ts-expect-error a capitalised word that is not a GHL doc name needs `sources`
  gw.on('AUTHORISATION', () => {})

  // Operational events: typed by their type.
  gw.on('gateway.delivery.dead_lettered', (e) => {
    expectType<string>(e.data.deliveryId)
    expectType<number>(e.data.count)
    expectType<'handler' | 'destination'>(e.data.subscriberKind)
    expectType<'gateway.delivery.dead_lettered'>(e.type)
    // @ts-expect-error misspelt field
    e.data.deliveryID
  })
  gw.on('gateway.backpressure.started', (e) => expectType<number>(e.data.highWater))
  gw.on('gateway.destination.circuit_opened', (e) => expectType<number>(e.data.failures))
  // @ts-expect-error another type's field
  gw.on('gateway.backpressure.ended', (e) => e.data.deliveryId)
}
