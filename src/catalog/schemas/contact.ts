import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { anyList, bool, entityId, envelopeFields, isoDate, listOf, str, strList } from './common.js'

/** Contacts and what hangs off them: notes, tasks, campaign status. All location-level. */

const contactFields = {
  ...envelopeFields,
  locationId: str,
  id: entityId,
  firstName: str,
  lastName: str,
  name: str,
  email: str,
  /** E.164 in GHL's examples. */
  phone: str,
  address1: str,
  city: str,
  state: str,
  postalCode: str,
  country: str,
  companyName: str,
  website: str,
  /** Lead source label. */
  source: str,
  dateAdded: isoDate,
  dateOfBirth: isoDate,
  /** Global do-not-disturb flag. */
  dnd: bool,
  /** The full current tag list, not the added/removed delta. */
  tags: strList,
  assignedTo: str,
  /** `value` is a string, number, array or object depending on the field type. */
  customFields: listOf({ id: str, value: z.unknown() }),
  /** Leftover field: normally omitted or []. */
  attachments: anyList,
}

function contactSchema<T extends string>(type: T) {
  return z.object({ type: z.literal(type), ...contactFields })
}

const dndChannel = z.object({ status: str, message: str, code: str }).nullish()

export const contactDndUpdateSchema = z.object({
  type: z.literal('ContactDndUpdate'),
  ...contactFields,
  /** Keyed by channel: SMS, Email, GMB, FB, WhatsApp, Call, and (undocumented) RCS with status only. */
  dndSettings: z.record(z.string(), dndChannel).nullish(),
})

function noteSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    id: entityId,
    body: str,
    contactId: str,
    dateAdded: isoDate,
  })
}

function taskSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    id: entityId,
    assignedTo: str,
    body: str,
    contactId: str,
    title: str,
    dateAdded: isoDate,
    dueDate: isoDate,
  })
}

export const campaignStatusUpdateSchema = z.object({
  type: z.literal('CampaignStatusUpdate'),
  ...envelopeFields,
  locationId: str,
  id: entityId,
  contactId: str,
  /** e.g. paused */
  status: str,
  templateId: str,
  /** A string, not a boolean. */
  replied: str,
  dateAdded: isoDate,
})

const location = { level: 'location', since: '2025-05', typeRole: 'event', tenant: 'location' } as const
const contact = { ...location, category: 'contact', entity: { kind: 'contact', idPath: 'id' } } as const
const note = { ...location, category: 'note', entity: { kind: 'note', idPath: 'id' } } as const
const task = { ...location, category: 'task', entity: { kind: 'task', idPath: 'id' } } as const
const contactsScope = ['contacts.readonly']

export const contactEvents = [
  defineEvent({
    ...contact,
    name: 'ContactCreate',
    canonical: 'contact.created',
    typeValues: ['ContactCreate'],
    scopes: contactsScope,
    schema: contactSchema('ContactCreate'),
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Contact created.',
  }),
  defineEvent({
    ...contact,
    name: 'ContactUpdate',
    canonical: 'contact.updated',
    typeValues: ['ContactUpdate'],
    scopes: [],
    schema: contactSchema('ContactUpdate'),
    description: 'Contact fields changed. Some changes fire nothing (file uploads, inbound DND).',
  }),
  defineEvent({
    ...contact,
    name: 'ContactDelete',
    canonical: 'contact.deleted',
    typeValues: ['ContactDelete'],
    scopes: contactsScope,
    schema: contactSchema('ContactDelete'),
    description: 'Contact deleted. Same shape as ContactCreate.',
  }),
  defineEvent({
    ...contact,
    name: 'ContactTagUpdate',
    canonical: 'contact.tags_updated',
    typeValues: ['ContactTagUpdate'],
    scopes: contactsScope,
    schema: contactSchema('ContactTagUpdate'),
    description: '`tags` is the full current list, not the delta: diff against stored state.',
  }),
  defineEvent({
    ...contact,
    name: 'ContactDndUpdate',
    canonical: 'contact.dnd_updated',
    typeValues: ['ContactDndUpdate'],
    scopes: contactsScope,
    schema: contactDndUpdateSchema,
    description: 'DND settings changed; real payloads add an RCS channel and lack inboundDndSettings.',
  }),
  defineEvent({
    ...note,
    name: 'NoteCreate',
    canonical: 'note.created',
    typeValues: ['NoteCreate'],
    scopes: contactsScope,
    schema: noteSchema('NoteCreate'),
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Note added to a contact. Fixed field allowlist: id, body, contactId, dateAdded.',
  }),
  defineEvent({
    ...note,
    name: 'NoteUpdate',
    canonical: 'note.updated',
    typeValues: ['NoteUpdate'],
    scopes: [],
    schema: noteSchema('NoteUpdate'),
    description: 'Note edited. Same allowlist as NoteCreate.',
  }),
  defineEvent({
    ...note,
    name: 'NoteDelete',
    canonical: 'note.deleted',
    typeValues: ['NoteDelete'],
    scopes: contactsScope,
    schema: noteSchema('NoteDelete'),
    description: 'Note deleted. Same allowlist as NoteCreate.',
  }),
  defineEvent({
    ...task,
    name: 'TaskCreate',
    canonical: 'task.created',
    typeValues: ['TaskCreate'],
    scopes: contactsScope,
    schema: taskSchema('TaskCreate'),
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Task created; real deliveries can lack `contactId` and `body`.',
  }),
  defineEvent({
    ...task,
    name: 'TaskComplete',
    canonical: 'task.completed',
    typeValues: ['TaskComplete'],
    scopes: [],
    schema: taskSchema('TaskComplete'),
    description: 'Task marked complete. There is no TaskUpdate event.',
  }),
  defineEvent({
    ...task,
    name: 'TaskDelete',
    canonical: 'task.deleted',
    typeValues: ['TaskDelete'],
    scopes: contactsScope,
    schema: taskSchema('TaskDelete'),
    description: 'Task deleted.',
  }),
  defineEvent({
    ...location,
    name: 'CampaignStatusUpdate',
    canonical: 'campaign.status_changed',
    typeValues: ['CampaignStatusUpdate'],
    category: 'campaign',
    scopes: ['campaigns.readonly'],
    entity: { kind: 'campaign', idPath: 'id' },
    schema: campaignStatusUpdateSchema,
    description: "A contact's campaign status changed (e.g. paused); `replied` is a string.",
  }),
] as const
