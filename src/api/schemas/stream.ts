import { z } from 'zod'
import { text } from '../input.js'
import { errorResponses } from './errors.js'

/** GET /api/stream: Server-Sent Events, filtered by the gateway. */

export const streamQuery = z.object({
  type: text.optional().meta({ description: 'Event type, GHL name, or a prefix: `contact.*`.' }),
  location: text.optional().meta({ description: 'GHL locationId.' }),
  source: text.optional(),
  kind: z
    .enum(['event', 'delivery'])
    .optional()
    .meta({ description: 'Only events, or only delivery attempts.' }),
})

export const streamRoutesSchema = {
  stream: {
    summary: "This process's live stream: committed events and delivery attempts",
    description:
      'Server-Sent Events: `: connected` first; `event: event` (one committed webhook) and `event: delivery` (one recorded attempt), each with one JSON object as `data`; `: heartbeat` comments; `event: overflow` before a client that reads too slowly is dropped. With several gateway processes, each streams its own.',
    tags: ['stream'],
    querystring: streamQuery,
    response: {
      200: {
        description: 'An endless `text/event-stream`.',
        content: { 'text/event-stream': { schema: z.string() } },
      },
      ...errorResponses('invalid_request'),
    },
  },
}
