import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { anyObject, bool, entityId, envelopeFields, isoDate, listOf, nested, num, str } from './common.js'

/** Voice AI calls and knowledge bases (the assets AI agents are trained on). All location-level. */

export const voiceAiCallEndSchema = z.object({
  ...envelopeFields,
  /** The call id. */
  id: entityId,
  locationId: str,
  agentId: str,
  contactId: str,
  fromNumber: str,
  createdAt: isoDate,
  /** Seconds. */
  duration: num,
  summary: str,
  transcript: str,
  translation: nested({ transcript: str, language: str }),
  /** Agent-extracted key/values; free-form. */
  extractedData: anyObject,
  messageId: str,
  trialCall: bool,
  executedCallActions: listOf({
    _id: str,
    /** CALL_TRANSFER | DATA_EXTRACTION | WORKFLOW_TRIGGER | SMS | APPOINTMENT_BOOKING | … */
    actionType: str,
    actionName: str,
    description: str,
    actionParameters: anyObject,
    executedAt: isoDate,
    triggerReceivedAt: isoDate,
  }),
})

function knowledgeBaseSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    id: entityId,
    name: str,
    description: str,
    deleted: bool,
  })
}

function knowledgeBaseAssetSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    locationId: str,
    /** The parent knowledge base. */
    knowledgeBaseId: str,
    /** The asset id. */
    id: entityId,
    /** file | faq | trained_url | … */
    assetType: str,
    /** e.g. uploaded, trained, failed, aborted */
    status: str,
    /** created | updated | deleted */
    action: str,
    deleted: bool,
  })
}

const common = { level: 'location', scopes: [], tenant: 'location' } as const
const knowledgeBase = {
  ...common,
  category: 'knowledge-base',
  since: '2026-08',
  typeRole: 'event',
  entity: { kind: 'knowledge_base', idPath: 'id' },
} as const
const asset = { ...knowledgeBase, entity: { kind: 'knowledge_base_asset', idPath: 'id' } } as const

export const aiEvents = [
  defineEvent({
    ...common,
    name: 'VoiceAiCallEnd',
    canonical: 'voice_ai_call.ended',
    category: 'voice-ai',
    since: '2025-10',
    scopes: ['voice-ai-dashboard.readonly'],
    typeValues: [],
    typeRole: 'none',
    entity: { kind: 'voice_ai_call', idPath: 'id' },
    schema: voiceAiCallEndSchema,
    description: 'A Voice AI agent call ended: summary, transcript, extracted data, actions. No `type`.',
  }),
  defineEvent({
    ...knowledgeBase,
    name: 'KnowledgeBaseCreate',
    canonical: 'knowledge_base.created',
    typeValues: ['KnowledgeBaseCreate'],
    schema: knowledgeBaseSchema('KnowledgeBaseCreate'),
    description: 'Knowledge base created.',
  }),
  defineEvent({
    ...knowledgeBase,
    name: 'KnowledgeBaseUpdate',
    canonical: 'knowledge_base.updated',
    typeValues: ['KnowledgeBaseUpdate'],
    schema: knowledgeBaseSchema('KnowledgeBaseUpdate'),
    description: 'Knowledge base name/description changed (type value unconfirmed).',
  }),
  defineEvent({
    ...knowledgeBase,
    name: 'KnowledgeBaseDelete',
    canonical: 'knowledge_base.deleted',
    typeValues: ['KnowledgeBaseDelete'],
    schema: knowledgeBaseSchema('KnowledgeBaseDelete'),
    description: 'Knowledge base deleted (type value unconfirmed).',
  }),
  defineEvent({
    ...asset,
    name: 'KnowledgeBaseFileChange',
    canonical: 'knowledge_base.file_changed',
    typeValues: ['KnowledgeBaseFileChange'],
    schema: knowledgeBaseAssetSchema('KnowledgeBaseFileChange'),
    description: 'A file asset was created/updated/deleted (`action`); parent in `knowledgeBaseId`.',
  }),
  defineEvent({
    ...asset,
    name: 'KnowledgeBaseFaqChange',
    canonical: 'knowledge_base.faq_changed',
    typeValues: ['KnowledgeBaseFaqChange'],
    schema: knowledgeBaseAssetSchema('KnowledgeBaseFaqChange'),
    description: 'An FAQ asset was created/updated/deleted (`action`).',
  }),
  defineEvent({
    ...asset,
    name: 'KnowledgeBaseRichTextChange',
    canonical: 'knowledge_base.rich_text_changed',
    typeValues: ['KnowledgeBaseRichTextChange'],
    schema: knowledgeBaseAssetSchema('KnowledgeBaseRichTextChange'),
    description: 'A rich-text asset changed (type value unconfirmed).',
  }),
  defineEvent({
    ...asset,
    name: 'KnowledgeBaseTableFileChange',
    canonical: 'knowledge_base.table_file_changed',
    typeValues: ['KnowledgeBaseTableFileChange'],
    schema: knowledgeBaseAssetSchema('KnowledgeBaseTableFileChange'),
    description: 'A table-file asset changed (type value unconfirmed).',
  }),
  defineEvent({
    ...asset,
    name: 'KnowledgeBaseTrainedUrlChange',
    canonical: 'knowledge_base.trained_url_changed',
    typeValues: ['KnowledgeBaseTrainedUrlChange'],
    schema: knowledgeBaseAssetSchema('KnowledgeBaseTrainedUrlChange'),
    description: 'A trained-URL asset changed (e.g. trained, failed, aborted).',
  }),
] as const
