/**
 * The shapes of the GHL operations the typed helpers cover, written by hand from GHL's OpenAPI specs
 * (GoHighLevel/highlevel-api-docs at 0af86a4, `apps/contacts.json`, `apps/opportunities.json`).
 * Narrow on purpose: the fields handlers set most, plus an index signature on answers — GHL adds
 * fields without notice, and `ctx.ghl.request` covers everything else.
 */

/**
 * One custom field value (`customFieldsInputStringSchema` / `…ArraySchema` / `…ObjectSchema`): pass
 * the field's `id` or its `key` (`contact.my_field` as GHL shows it, or `my_field`).
 */
export type GhlCustomFieldInput = ({ id: string; key?: string } | { key: string; id?: string }) & {
  field_value: string | number | boolean | string[] | Record<string, unknown>
}

/** `UpdateContactDto` (PUT /contacts/{contactId}); every field optional. */
export interface GhlContactUpdate {
  firstName?: string
  lastName?: string
  name?: string
  email?: string
  phone?: string
  address1?: string
  city?: string
  state?: string
  postalCode?: string
  country?: string
  website?: string
  timezone?: string
  source?: string
  assignedTo?: string
  dnd?: boolean
  /** Replaces every tag of the contact; `addTags`/`removeTags` change some. */
  tags?: string[]
  customFields?: GhlCustomFieldInput[]
}

/** `GetContectByIdSchema` (sic), the fields most read. */
export interface GhlContact {
  id: string
  locationId: string
  firstName?: string
  lastName?: string
  name?: string
  email?: string
  phone?: string
  tags?: string[]
  assignedTo?: string
  customFields?: { id: string; value?: unknown }[]
  dateAdded?: string
  dateUpdated?: string
  [field: string]: unknown
}

/** `NotesDTO` (POST /contacts/{contactId}/notes). */
export interface GhlNoteInput {
  body: string
  userId?: string
  title?: string
}

/** `GetNoteSchema`. */
export interface GhlNote {
  id: string
  body: string
  userId?: string
  contactId?: string
  dateAdded?: string
  [field: string]: unknown
}

/** `CreateTaskParams` (POST /contacts/{contactId}/tasks): `dueDate` is an ISO time. */
export interface GhlTaskInput {
  title: string
  dueDate: string
  body?: string
  /** @default false */
  completed?: boolean
  assignedTo?: string
}

/** `TaskSchema`. */
export interface GhlTask {
  id: string
  title: string
  dueDate?: string
  completed?: boolean
  contactId?: string
  [field: string]: unknown
}

/** `status` of `UpdateOpportunityDto` / `UpdateStatusDto` (`all` is a search filter, not a state). */
export type GhlOpportunityStatus = 'open' | 'won' | 'lost' | 'abandoned'

/** `UpdateOpportunityDto` (PUT /opportunities/{id}): move it with `pipelineStageId`. */
export interface GhlOpportunityUpdate {
  pipelineId?: string
  pipelineStageId?: string
  status?: GhlOpportunityStatus
  name?: string
  monetaryValue?: number
  assignedTo?: string
  customFields?: GhlCustomFieldInput[]
}

/** `SearchOpportunitiesResponseSchema`, the fields most read. */
export interface GhlOpportunity {
  id: string
  name?: string
  pipelineId?: string
  pipelineStageId?: string
  status?: string
  monetaryValue?: number
  contactId?: string
  [field: string]: unknown
}
