import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { entityId, envelopeFields, isoDate, num, str } from './common.js'

/**
 * Opportunities. All seven events share one payload. One UI action fans out into several deliveries
 * (a stage change sends OpportunityStageUpdate AND OpportunityUpdate; a delete sends OpportunityDelete
 * AND OpportunityUpdate), each with its own webhookId, so handlers must be idempotent per entity.
 */

function opportunitySchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    id: entityId,
    name: str,
    /** User id; null on real payloads. */
    assignedTo: str,
    contactId: str,
    /** Missing on real OpportunityCreate payloads. */
    monetaryValue: num,
    pipelineId: str,
    pipelineStageId: str,
    source: str,
    /** e.g. open, won, lost, abandoned */
    status: str,
    dateAdded: isoDate,
  })
}

const opportunity = {
  category: 'opportunity',
  level: 'location',
  since: '2025-05',
  typeRole: 'event',
  entity: { kind: 'opportunity', idPath: 'id' },
  tenant: 'location',
} as const
const opportunitiesScope = ['opportunities.readonly']

export const opportunityEvents = [
  defineEvent({
    ...opportunity,
    name: 'OpportunityCreate',
    canonical: 'opportunity.created',
    typeValues: ['OpportunityCreate'],
    scopes: opportunitiesScope,
    schema: opportunitySchema('OpportunityCreate'),
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Opportunity created; an OpportunityUpdate follows as a separate delivery.',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityUpdate',
    canonical: 'opportunity.updated',
    typeValues: ['OpportunityUpdate'],
    scopes: [],
    schema: opportunitySchema('OpportunityUpdate'),
    description: 'Fires with almost every other Opportunity event (create, stage, status, value, delete).',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityDelete',
    canonical: 'opportunity.deleted',
    typeValues: ['OpportunityDelete'],
    scopes: opportunitiesScope,
    schema: opportunitySchema('OpportunityDelete'),
    description: 'Opportunity deleted; arrives together with an OpportunityUpdate.',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityStageUpdate',
    canonical: 'opportunity.stage_changed',
    typeValues: ['OpportunityStageUpdate'],
    scopes: opportunitiesScope,
    schema: opportunitySchema('OpportunityStageUpdate'),
    description: 'Moved to another pipeline stage (`pipelineStageId`). Not "OpportunityStageChange".',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityStatusUpdate',
    canonical: 'opportunity.status_changed',
    typeValues: ['OpportunityStatusUpdate'],
    scopes: opportunitiesScope,
    schema: opportunitySchema('OpportunityStatusUpdate'),
    description: 'Status changed (open, won, lost, abandoned).',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityMonetaryValueUpdate',
    canonical: 'opportunity.monetary_value_changed',
    typeValues: ['OpportunityMonetaryValueUpdate'],
    scopes: opportunitiesScope,
    schema: opportunitySchema('OpportunityMonetaryValueUpdate'),
    description: 'Value changed (`monetaryValue`).',
  }),
  defineEvent({
    ...opportunity,
    name: 'OpportunityAssignedToUpdate',
    canonical: 'opportunity.assigned_to_changed',
    typeValues: ['OpportunityAssignedToUpdate'],
    scopes: [],
    schema: opportunitySchema('OpportunityAssignedToUpdate'),
    description: 'Owner changed (`assignedTo`, may be null).',
  }),
] as const
