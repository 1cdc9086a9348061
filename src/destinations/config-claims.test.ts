import { describe, expect, it } from 'vitest'
import { definitionDocument, orphanDefinition } from './config-claims.js'
import { destinationSchema } from './schema.js'

/** How config destinations are stored, and read back for an orphan. */

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const full = destinationSchema.parse({
  id: 'crm-sync',
  url: 'https://crm.example/hooks/ghl',
  events: ['contact.*'],
  filter: { locationId: ['loc_1'] },
  headers: { 'X-Team': 'growth', 'X-Api-Key': 'literal-key' },
  // Every other custom header value is secret: stored as `***`, and an orphan runs without it.
  publicHeaders: ['X-Team'],
  auth: { type: 'bearer', token: 'file-secret' },
  signing: { secrets: [SECRET] },
  retry: { maxAttempts: 5, maxAge: '24h', minDelay: 1.5 },
  timeout: '250ms',
  circuitBreaker: { cooldown: '45s' },
})

describe('config destinations as stored', () => {
  it('definitionDocument is a document the schema reads back to the same definition (durations as text)', () => {
    const doc = definitionDocument(full)
    expect(doc).toMatchObject({
      timeout: '250ms',
      retry: { maxAttempts: 5, maxAge: '1d', minDelay: '1500ms' },
      circuitBreaker: { window: '5m', cooldown: '45s', maxCooldown: '10m' },
    })
    expect(destinationSchema.parse(doc)).toEqual(full)
    const minimal = destinationSchema.parse({
      id: 'min',
      url: 'https://a.example/',
      events: ['*'],
      circuitBreaker: false,
    })
    expect(destinationSchema.parse(definitionDocument(minimal))).toEqual(minimal)
  })

  it('an orphan is read without its credentials, from a stored document or a previous release’s parsed definition', () => {
    const redacted = (doc: Record<string, unknown>) =>
      JSON.parse(
        JSON.stringify(doc)
          .replaceAll('file-secret', '***')
          .replaceAll(SECRET, '***')
          .replaceAll('literal-key', '***'),
      )
    const { auth: _auth, signing: _signing, ...rest } = full
    const expected = { ...rest, headers: { 'x-team': 'growth' } }
    const fromDocument = orphanDefinition(redacted(definitionDocument(full)))
    expect(fromDocument).toEqual(expected)
    // Before this release, the row held the parsed definition: durations in milliseconds.
    expect(orphanDefinition(redacted(JSON.parse(JSON.stringify(full))))).toEqual(expected)
  })
})
