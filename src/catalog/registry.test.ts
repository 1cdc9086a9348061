import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  byCanonical,
  byName,
  CANONICAL_EVENT_NAMES,
  CATALOG,
  entriesForType,
  GHL_EVENT_NAMES,
  isCanonicalEventName,
  isGhlEventName,
} from './registry.js'

// shared/ghl/events.json sits beside the repository in our workspace; a clone elsewhere (a CI
// machine) may not have it, so test/reference/ holds a copy taken when the catalog was built, and a
// test below fails when the two differ.
const SHARED_EVENTS = fileURLToPath(new URL('../../../shared/ghl/events.json', import.meta.url))
const VENDORED_EVENTS = fileURLToPath(new URL('../../test/reference/ghl-events.json', import.meta.url))
const haveShared = existsSync(SHARED_EVENTS)
const eventsPath = haveShared ? SHARED_EVENTS : VENDORED_EVENTS

interface DocEvent {
  doc: string
  type: string | null
  category: string
  level: string
  scope: string | null
  since: string
  entityIdField: string
}

it.skipIf(!haveShared)('test/reference/ghl-events.json is the same as shared/ghl/events.json', () => {
  expect(JSON.parse(readFileSync(VENDORED_EVENTS, 'utf8'))).toEqual(
    JSON.parse(readFileSync(SHARED_EVENTS, 'utf8')),
  )
})

describe(`registry matches ${haveShared ? 'shared/ghl/events.json' : 'test/reference/ghl-events.json'}`, () => {
  const docs = JSON.parse(readFileSync(eventsPath, 'utf8')) as DocEvent[]

  it('covers exactly the documented events', () => {
    expect(docs).toHaveLength(77)
    expect([...GHL_EVENT_NAMES].sort()).toEqual(docs.map((d) => d.doc).sort())
  })

  it.each(docs.map((d) => [d.doc, d] as const))('%s: type values and metadata', (_name, doc) => {
    const entry = byName(doc.doc)!
    // events.json writes ProviderOutboundMessage's two channel types as "SMS|Email".
    expect(entry.typeValues).toEqual(doc.type === null ? [] : doc.type.split('|'))
    expect(entry.category).toBe(doc.category)
    expect(entry.level).toBe(doc.level)
    expect(entry.scopes).toEqual(doc.scope === null ? [] : [doc.scope])
    expect(entry.since).toBe(doc.since)
    expect(entry.entity.idPath).toBe(doc.entityIdField)
  })
})

describe('catalog', () => {
  it('has unique doc names and canonical names', () => {
    expect(new Set(GHL_EVENT_NAMES).size).toBe(CATALOG.length)
    expect(new Set(CANONICAL_EVENT_NAMES).size).toBe(CATALOG.length)
  })

  it('names canonical events <entity>.<what happened> in lower snake case, never "unknown"', () => {
    for (const canonical of CANONICAL_EVENT_NAMES) {
      expect(canonical).toMatch(/^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/)
    }
    expect(isCanonicalEventName('unknown')).toBe(false)
  })

  it('keeps the canonical names the brief fixed', () => {
    const expected: Record<string, string> = {
      ContactCreate: 'contact.created',
      ContactTagUpdate: 'contact.tags_updated',
      ContactDndUpdate: 'contact.dnd_updated',
      OpportunityStageUpdate: 'opportunity.stage_changed',
      OpportunityStatusUpdate: 'opportunity.status_changed',
      OpportunityMonetaryValueUpdate: 'opportunity.monetary_value_changed',
      OpportunityAssignedToUpdate: 'opportunity.assigned_to_changed',
      AppInstall: 'app.installed',
      AppUninstall: 'app.uninstalled',
      AppUpdate: 'app.updated',
      PlanChange: 'app.plan_changed',
      AppPaymentStatus: 'app.payment_status_changed',
      TaskComplete: 'task.completed',
      InvoicePaid: 'invoice.paid',
      InvoicePartiallyPaid: 'invoice.partially_paid',
      InvoiceVoid: 'invoice.voided',
      InboundMessage: 'message.inbound',
      OutboundMessage: 'message.outbound',
      ProviderOutboundMessage: 'message.provider_outbound',
      ConversationUnreadWebhook: 'conversation.unread_changed',
      KnowledgeBaseFileChange: 'knowledge_base.file_changed',
    }
    for (const [name, canonical] of Object.entries(expected)) expect(byName(name)?.canonical).toBe(canonical)
  })

  it('gives every event a description and occurredAt paths that start with timestamp', () => {
    for (const entry of CATALOG) {
      expect(entry.description.length).toBeGreaterThan(5)
      expect(entry.occurredAtPaths[0]).toBe('timestamp')
    }
  })

  it('maps each event/channel type value to exactly one event, case-sensitively', () => {
    for (const entry of CATALOG) {
      if (entry.typeRole !== 'event' && entry.typeRole !== 'channel') continue
      for (const type of entry.typeValues) expect(entriesForType(type)).toEqual([entry])
    }
    expect(entriesForType('SaaSPlanCreate')).toEqual([])
    expect(entriesForType('install')).toEqual([])
    expect(entriesForType('ConversationUnreadWebhook')).toEqual([])
  })

  it('maps price kinds to both PriceUpdate and PriceDelete', () => {
    const both = [byName('PriceUpdate'), byName('PriceDelete')]
    expect(entriesForType('one_time')).toEqual(both)
    expect(entriesForType('recurring')).toEqual(both)
  })

  it('finds entries by name and canonical name, and nothing for prototype keys', () => {
    expect(byName('InvoicePaid').canonical).toBe('invoice.paid')
    expect(byCanonical('invoice.paid').name).toBe('InvoicePaid')
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(byName(key)).toBeUndefined()
      expect(byCanonical(key)).toBeUndefined()
      expect(entriesForType(key)).toEqual([])
      expect(isGhlEventName(key)).toBe(false)
    }
  })
})
