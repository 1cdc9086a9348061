import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import {
  anyList,
  anyObject,
  bool,
  entityId,
  envelopeFields,
  isoDate,
  nested,
  num,
  str,
  strList,
} from './common.js'

/** Messages, conversations and email delivery stats. All location-level. */

const messageFields = {
  ...envelopeFields,
  locationId: str,
  contactId: str,
  conversationId: str,
  messageId: entityId,
  /** Channel: SMS, CALL, Email, GMB, FB, IG, Live Chat, VoiceMail, … */
  messageType: str,
  /** inbound | outbound (GHL's own examples get it wrong at times). */
  direction: str,
  /** e.g. delivered, failed, completed, voicemail */
  status: str,
  /** Text, or HTML for email. */
  body: str,
  contentType: str,
  /** URLs; the recording or voicemail URL for calls. */
  attachments: strList,
  dateAdded: isoDate,
  userId: str,
  conversationProviderId: str,
  /** Seconds, calls only. */
  callDuration: num,
  callStatus: str,
  chatWidgetId: str,
  from: str,
  /** A string in the 2026 schema, an array in older email examples. */
  to: z.union([z.string(), z.array(z.string())]).nullish(),
  /** e.g. 1 call, 2 SMS, 10 voicemail. */
  messageTypeId: num,
  /** e.g. TYPE_SMS, TYPE_CALL, TYPE_VOICEMAIL */
  messageTypeString: str,
  emailMessageId: str,
  threadId: str,
  provider: str,
  subject: str,
  cc: str,
  bcc: str,
  ccList: strList,
  bccList: strList,
}

export const inboundMessageSchema = z.object({ type: z.literal('InboundMessage'), ...messageFields })

export const outboundMessageSchema = z.object({
  type: z.literal('OutboundMessage'),
  ...messageFields,
  /** Origin, e.g. app, workflow. */
  source: str,
})

export const providerOutboundMessageSchema = z.object({
  /** The channel, never the doc name. */
  type: z.enum(['SMS', 'Email']),
  ...envelopeFields,
  contactId: str,
  locationId: str,
  messageId: entityId,
  emailMessageId: str,
  /** SMS only. */
  phone: str,
  /** SMS text. */
  message: str,
  attachments: strList,
  emailTo: strList,
  emailFrom: str,
  html: str,
  subject: str,
  userId: str,
})

export const conversationUnreadSchema = z.object({
  type: z.literal('ConversationUnreadUpdate'),
  ...envelopeFields,
  locationId: str,
  /** The conversation id. */
  id: entityId,
  contactId: str,
  unreadCount: num,
  inbox: bool,
  starred: bool,
  deleted: bool,
})

export const conversationUpdateSchema = z.object({
  type: z.literal('ConversationUpdate'),
  ...envelopeFields,
  locationId: str,
  companyId: str,
  /** The surviving conversation: re-point stored references from `oldConversationId` to it. */
  newConversationId: entityId,
  oldConversationId: str,
  contactId: str,
})

export const lcEmailStatsSchema = z.object({
  type: z.literal('LCEmailStats'),
  ...envelopeFields,
  locationId: str,
  companyId: str,
  /** A Mailgun-style event, with hyphenated keys. */
  webhookPayload: z.object({
    id: entityId,
    /** e.g. delivered, opened, failed */
    event: str,
    /** Epoch SECONDS (a number), unlike every other timestamp GHL sends. */
    timestamp: num,
    flags: anyObject,
    message: nested({
      headers: nested({ 'message-id': str, from: str, to: str }),
      attachments: anyList,
      size: num,
    }),
    recipient: str,
    'recipient-domain': str,
    tags: strList,
    'delivery-status': z.object({ code: num, message: str, description: str }).nullish(),
    envelope: anyObject,
    'log-level': str,
    campaigns: anyList,
  }),
})

const location = { level: 'location', since: '2025-05', tenant: 'location' } as const
const message = {
  ...location,
  category: 'message',
  entity: { kind: 'message', idPath: 'messageId' },
} as const

export const conversationEvents = [
  defineEvent({
    ...message,
    name: 'InboundMessage',
    canonical: 'message.inbound',
    typeValues: ['InboundMessage'],
    typeRole: 'event',
    scopes: ['conversations/message.readonly'],
    schema: inboundMessageSchema,
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Message received on any channel (SMS, call, email, chat, …); shape varies by channel.',
  }),
  defineEvent({
    ...message,
    name: 'OutboundMessage',
    canonical: 'message.outbound',
    typeValues: ['OutboundMessage'],
    typeRole: 'event',
    scopes: ['conversations/message.readonly'],
    schema: outboundMessageSchema,
    occurredAtPaths: ['timestamp', 'dateAdded'],
    description: 'Message sent. A retried failed message arrives as a new event with a new messageId.',
  }),
  defineEvent({
    ...message,
    name: 'ProviderOutboundMessage',
    canonical: 'message.provider_outbound',
    typeValues: ['SMS', 'Email'],
    typeRole: 'channel',
    scopes: ['conversations/message.write'],
    schema: providerOutboundMessageSchema,
    description:
      'Conversation provider must send this message. Goes to the Delivery URL; `type` is the channel.',
  }),
  defineEvent({
    ...location,
    name: 'ConversationUnreadWebhook',
    canonical: 'conversation.unread_changed',
    typeValues: ['ConversationUnreadUpdate'],
    typeRole: 'event',
    category: 'conversation',
    scopes: ['conversations.readonly'],
    entity: { kind: 'conversation', idPath: 'id' },
    schema: conversationUnreadSchema,
    description: 'Unread count or inbox/starred/deleted flags changed. Type differs from the doc name.',
  }),
  defineEvent({
    ...location,
    name: 'ConversationUpdate',
    canonical: 'conversation.updated',
    typeValues: ['ConversationUpdate'],
    typeRole: 'event',
    category: 'conversation',
    since: '2026-08',
    scopes: [],
    entity: { kind: 'conversation', idPath: 'newConversationId' },
    schema: conversationUpdateSchema,
    description:
      'Today: conversations merged (live chat → identified contact); old id in `oldConversationId`.',
  }),
  defineEvent({
    ...location,
    name: 'LCEmailStats',
    canonical: 'email_stats.reported',
    typeValues: ['LCEmailStats'],
    typeRole: 'event',
    category: 'email-stats',
    scopes: [],
    entity: { kind: 'email_event', idPath: 'webhookPayload.id' },
    schema: lcEmailStatsSchema,
    occurredAtPaths: ['timestamp', 'webhookPayload.timestamp'],
    description:
      'Email delivery event (delivered, opened, …) nested under `webhookPayload`; epoch-second time.',
  }),
] as const
