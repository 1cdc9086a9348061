/**
 * The admin API's answers and bodies as TypeScript types, inferred from the schemas the routes
 * validate and document with: what the CLI (and any client in this repository) compiles against.
 */
export type { AttemptJson, SavedResponseJson } from './attempts.js'
export type {
  CatalogEntryDetailJson,
  CatalogEntryJson,
  CatalogListJson,
  CatalogSendAnswerJson,
  CatalogStatsJson,
} from './catalog.js'
export type {
  DeliveryDetailJson,
  DeliveryJson,
  DeliveryPageJson,
  ReplayAnswerJson,
  ReplayRequestJson,
} from './deliveries.js'
export type {
  DestinationDeleteAnswerJson,
  DestinationJson,
  DestinationListJson,
  DestinationTestAnswerJson,
} from './destinations.js'
export type { ErrorBodyJson } from './errors.js'
export type {
  EventDeliveryJson,
  EventDetailJson,
  EventListItemJson,
  EventPageJson,
  EventSummaryJson,
} from './events.js'
export type { LoginAnswerJson, LoginRequestJson, SessionStateJson } from './session.js'
