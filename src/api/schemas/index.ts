/**
 * The admin API's answers and bodies as TypeScript types, inferred from the schemas the routes
 * validate and document with: what the CLI (and any client in this repository) compiles against.
 */
export type { AttemptJson, GhlCallJson, SavedResponseJson } from './attempts.js'
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
  DestinationAttemptStatsJson,
  DestinationDeleteAnswerJson,
  DestinationJson,
  DestinationListJson,
  DestinationProbeAnswerJson,
  DestinationTestAnswerJson,
} from './destinations.js'
export type {
  DlqCountJson,
  DlqGroupJson,
  DlqGroupsJson,
  DlqJobJson,
  DlqJobListJson,
  DlqJobRequestJson,
} from './dlq-jobs.js'
export type { FieldChangeJson, TimelineItemJson, TimelinePageJson } from './entities.js'
export type { ErrorBodyJson } from './errors.js'
export type {
  EventDeliveryJson,
  EventDetailJson,
  EventListItemJson,
  EventPageJson,
  EventSummaryJson,
} from './events.js'
export type { GhlCallAnswerJson, GhlCallRequestJson } from './ghl.js'
export type { BlockedLaneJson, LocationDetailJson, LocationJson, LocationPageJson } from './locations.js'
export type { HealthSummaryJson, OverviewJson, StatsSeriesJson } from './overview.js'
export type { LoginAnswerJson, LoginRequestJson, SessionStateJson } from './session.js'
