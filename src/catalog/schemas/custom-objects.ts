import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { entityId, envelopeFields, isoDate, listOf, nested, str, strList } from './common.js'

/**
 * Custom objects: object schemas, their records, associations (links between object types) and
 * relations (links between two records). None of these bodies carries an event `type`, and the
 * events of one family share a shape, so a per-event URL is the only reliable discriminator.
 */

export const objectSchemaSchema = z.object({
  ...envelopeFields,
  id: entityId,
  /** e.g. custom_objects.pets */
  key: str,
  labels: nested({ singular: str, plural: str }),
  description: str,
  searchableProperties: strList,
  primaryDisplayProperty: str,
  locationId: str,
  /** e.g. USER_DEFINED */
  objectType: str,
  createdBy: str,
  updatedBy: str,
  createdAt: isoDate,
  updatedAt: isoDate,
})

export const recordSchema = z.object({
  /** GHL's schema calls this the record type; examples omit it. Never the event name. */
  type: str,
  ...envelopeFields,
  id: entityId,
  locationId: str,
  owners: strList,
  followers: strList,
  properties: listOf({ key: str, valueString: str }),
  /** e.g. custom_objects.invoices: seen in real payloads, undocumented. */
  objectKey: str,
})

export const relationSchema = z.object({
  ...envelopeFields,
  id: entityId,
  associationId: str,
  locationId: str,
  /** e.g. custom_objects.x or contact */
  firstObjectKey: str,
  firstRecordId: str,
  secondObjectKey: str,
  secondRecordId: str,
})

const associationFields = {
  ...envelopeFields,
  id: entityId,
  key: str,
  locationId: str,
  /** USER_DEFINED | SYSTEM_DEFINED */
  associationType: str,
  firstObjectKey: str,
  firstObjectLabel: str,
  secondObjectKey: str,
  secondObjectLabel: str,
}

export const associationCreateSchema = z.object(associationFields)

export const associationChangeSchema = z.object({
  ...associationFields,
  /** e.g. MANY_TO_MANY */
  firstObjectToSecondObjectCardinality: str,
  secondObjectToFirstObjectCardinality: str,
})

const common = {
  level: 'location',
  since: '2025-05',
  typeValues: [],
  typeRole: 'none',
  tenant: 'location',
} as const
const objectSchema = {
  ...common,
  category: 'object-schema',
  scopes: [],
  entity: { kind: 'object_schema', idPath: 'id' },
  schema: objectSchemaSchema,
  occurredAtPaths: ['timestamp', 'updatedAt'],
} as const
const record = {
  ...common,
  category: 'record',
  scopes: [],
  entity: { kind: 'record', idPath: 'id' },
  schema: recordSchema,
} as const
const relation = {
  ...common,
  category: 'relation',
  scopes: ['associations/relation.readonly'],
  entity: { kind: 'relation', idPath: 'id' },
  schema: relationSchema,
} as const
const association = {
  ...common,
  category: 'association',
  scopes: ['associations.readonly'],
  entity: { kind: 'association', idPath: 'id' },
} as const

export const customObjectEvents = [
  defineEvent({
    ...objectSchema,
    name: 'ObjectSchemaCreate',
    canonical: 'object_schema.created',
    description: 'Custom object type defined. No `type`.',
  }),
  defineEvent({
    ...objectSchema,
    name: 'ObjectSchemaUpdate',
    canonical: 'object_schema.updated',
    description: 'Custom object type changed. No `type`.',
  }),
  defineEvent({
    ...record,
    name: 'RecordCreate',
    canonical: 'record.created',
    description: 'Custom object record created. No event `type` (a `type` here would be the record type).',
  }),
  defineEvent({
    ...record,
    name: 'RecordUpdate',
    canonical: 'record.updated',
    description: 'Custom object record updated. No event `type`.',
  }),
  defineEvent({
    ...record,
    name: 'RecordDelete',
    canonical: 'record.deleted',
    description: 'Custom object record deleted. No event `type`.',
  }),
  defineEvent({
    ...relation,
    name: 'RelationCreate',
    canonical: 'relation.created',
    description: 'Two records linked under an association. No `type`.',
  }),
  defineEvent({
    ...relation,
    name: 'RelationDelete',
    canonical: 'relation.deleted',
    description: 'Link between two records removed. No `type`.',
  }),
  defineEvent({
    ...association,
    name: 'AssociationCreate',
    canonical: 'association.created',
    schema: associationCreateSchema,
    description: 'Association (link definition between two object types) created. No `type`.',
  }),
  defineEvent({
    ...association,
    name: 'AssociationUpdate',
    canonical: 'association.updated',
    schema: associationChangeSchema,
    description: 'Association changed; adds the cardinality fields. No `type`.',
  }),
  defineEvent({
    ...association,
    name: 'AssociationDelete',
    canonical: 'association.deleted',
    schema: associationChangeSchema,
    description: 'Association deleted. No `type`.',
  }),
] as const
