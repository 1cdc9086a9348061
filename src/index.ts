/**
 * ghl-gateway as a library:
 *
 * ```ts
 * import { createGateway } from 'ghl-gateway'
 * const gw = createGateway({ database: process.env.DATABASE_URL })
 * gw.on('ContactCreate', async (event, ctx) => { await crm.upsert(event.data) })
 * gw.on('opportunity.stage_changed', async (event) => { … })
 * gw.onAny(async (event, ctx) => { … })
 * await gw.listen({ port: 3000 })
 * ```
 */

export type { EventPattern } from './catalog/event-patterns.js'
export {
  type AnyGatewayEvent,
  type AnyGhlEvent,
  byCanonical,
  byName,
  CATALOG,
  type CanonicalEventName,
  classifyGhlBody,
  type EventFor,
  freshFixture,
  GATEWAY_EVENT_TYPES,
  type GatewayEvent,
  type GatewayEventMap,
  type GatewayEventType,
  type GhlEvent,
  type GhlEventMap,
  type GhlEventName,
  loadFixture,
} from './catalog/index.js'
export { type ConfigWarning, type GatewayConfig, loadConfig } from './config/index.js'
export { ConfigError } from './config-error.js'
export {
  HandlerTimeoutError,
  PermanentError,
  RetryableError,
  type RetryableErrorOptions,
} from './deliver/errors.js'
export type { Handler, HandlerContext } from './deliver/handler-runner.js'
export { DEFAULT_RETRY_POLICY, type RetryPolicy, type RetryPolicyInput } from './dispatch/retry-policy.js'
export { ERROR_CODES, type ErrorCode, GatewayError } from './errors.js'
export {
  createGateway,
  type Gateway,
  type GatewayOptions,
  type HandlerOptions,
  type RunningGateway,
} from './gateway.js'
export type { GhlCallRecord, GhlMethod, GhlQuery, GhlRequest, GhlResponse } from './ghl/api-client.js'
export type * from './ghl/api-types.js'
export {
  GhlApiError,
  GhlApiPermanentError,
  GhlApiRetryableError,
  GhlNotConfiguredError,
  GhlNotInstalledError,
  GhlRateLimitedError,
  GhlReauthRequiredError,
  GhlTokenUnavailableError,
} from './ghl/errors.js'
export type { GhlClient } from './ghl/ghl-client.js'
export { GhlSdkMissingError } from './ghl/sdk.js'
export type { FetchHandler } from './receive/fetch-handler.js'
export type { MountOptions } from './receive/mounted-request.js'
export type { NodeHandler } from './receive/node-handler.js'
export { DELIVERY_STATES, type DeliveryState } from './store/delivery-states.js'
export { VERSION } from './version.js'
