import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { anyObject, entityId, envelopeFields, str, strList } from './common.js'

/** Agency-side account events: support tickets, locations (sub-accounts) and users. */

function supportTicketSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    ticketId: entityId,
    companyId: str,
    locationId: str,
  })
}

function locationSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    /** The location (sub-account) itself; the tenant is `companyId`. */
    id: entityId,
    companyId: str,
    name: str,
    email: str,
    stripeProductId: str,
  })
}

function userSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    id: entityId,
    /** Set for sub-account users. */
    locationId: str,
    /** Set for agency users. */
    companyId: str,
    firstName: str,
    lastName: str,
    email: str,
    phone: str,
    extension: str,
    role: str,
    /** About 37 boolean feature flags (contactsEnabled, workflowsEnabled, …). */
    permissions: anyObject,
    /** Location ids (agency users). */
    locations: strList,
    scopes: strList,
  })
}

const ticket = {
  category: 'support-ticket',
  level: 'both',
  scopes: [],
  since: '2026-08',
  typeRole: 'event',
  entity: { kind: 'support_ticket', idPath: 'ticketId' },
  tenant: 'location-else-company',
} as const

const location = {
  category: 'location',
  level: 'agency',
  scopes: ['locations.readonly'],
  since: '2025-05',
  typeRole: 'event',
  entity: { kind: 'location', idPath: 'id' },
  tenant: 'company',
} as const

const user = {
  category: 'user',
  level: 'both',
  scopes: [],
  typeRole: 'event',
  entity: { kind: 'user', idPath: 'id' },
  tenant: 'location-else-company',
} as const

export const accountEvents = [
  defineEvent({
    ...ticket,
    name: 'SupportTicketCreate',
    canonical: 'support_ticket.created',
    typeValues: ['SupportTicketCreate'],
    schema: supportTicketSchema('SupportTicketCreate'),
    description: 'Support ticket created. Thin payload: ids only.',
  }),
  defineEvent({
    ...ticket,
    name: 'SupportTicketUpdate',
    canonical: 'support_ticket.updated',
    typeValues: ['SupportTicketUpdate'],
    schema: supportTicketSchema('SupportTicketUpdate'),
    description: 'Ticket status changed, reply added or details edited. Ids only.',
  }),
  defineEvent({
    ...ticket,
    name: 'SupportTicketDelete',
    canonical: 'support_ticket.deleted',
    typeValues: ['SupportTicketDelete'],
    schema: supportTicketSchema('SupportTicketDelete'),
    description: 'Support ticket deleted. Ids only.',
  }),
  defineEvent({
    ...location,
    name: 'LocationCreate',
    canonical: 'location.created',
    typeValues: ['LocationCreate'],
    schema: locationSchema('LocationCreate'),
    description: 'Sub-account created (agency apps). Its id is in `id`; the tenant is the agency.',
  }),
  defineEvent({
    ...location,
    name: 'LocationUpdate',
    canonical: 'location.updated',
    typeValues: ['LocationUpdate'],
    schema: locationSchema('LocationUpdate'),
    description: 'Sub-account updated (agency apps). Same shape as LocationCreate.',
  }),
  defineEvent({
    ...user,
    name: 'UserCreate',
    canonical: 'user.created',
    typeValues: ['UserCreate'],
    since: '2025-05',
    schema: userSchema('UserCreate'),
    description: 'User created; `locationId` for sub-account users, `companyId` for agency users.',
  }),
  defineEvent({
    ...user,
    name: 'UserUpdate',
    canonical: 'user.updated',
    typeValues: ['UserUpdate'],
    since: '2025-10',
    schema: userSchema('UserUpdate'),
    description: 'User updated. Type value assumed from the family (unconfirmed in the docs).',
  }),
  defineEvent({
    ...user,
    name: 'UserDelete',
    canonical: 'user.deleted',
    typeValues: ['UserDelete'],
    since: '2025-10',
    schema: userSchema('UserDelete'),
    description: 'User deleted. The doc example shows type `UserCreate` (copy-paste error).',
  }),
] as const
