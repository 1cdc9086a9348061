import { describe, expect, it } from 'vitest'
import { classifyGhlBody } from './classify.js'
import { freshFixture, loadFixture } from './fixtures.js'
import { CATALOG, type GhlEventName } from './registry.js'

describe('loadFixture', () => {
  it('returns a new object on every call', () => {
    const a = loadFixture('ContactCreate') as Record<string, unknown>
    a.id = 'mutated'
    expect((loadFixture('ContactCreate') as Record<string, unknown>).id).toBe('nmFmQEsNgz6AVpgLVUJ0')
  })

  it('refuses names outside the catalog (no path tricks)', () => {
    expect(() => loadFixture('../../package' as GhlEventName)).toThrow(/not a GHL event name/)
  })

  it('has realistic envelope fields on every fixture', () => {
    for (const { name, typeRole } of CATALOG) {
      const body = loadFixture(name)
      const item = (Array.isArray(body) ? body[0] : body) as Record<string, unknown>
      expect(item.appId, name).toMatch(/^[0-9a-f]{24}$/)
      expect(item.versionId, name).toMatch(/^[0-9a-f]{24}$/)
      expect(item.webhookId, name).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
      expect(new Date(item.timestamp as string).toISOString(), name).toBe(item.timestamp)
      expect('type' in item, name).toBe(typeRole !== 'none')
    }
  })
})

describe('freshFixture', () => {
  it('gives each call a new webhookId and the current timestamp', () => {
    const now = new Date('2026-09-01T08:00:00.000Z')
    const a = freshFixture('OpportunityStageUpdate', {}, now)
    const b = freshFixture('OpportunityStageUpdate', {}, now)
    expect(a.webhookId).not.toBe(b.webhookId)
    expect(a.timestamp).toBe('2026-09-01T08:00:00.000Z')
    expect(classifyGhlBody(a)).toMatchObject({
      occurredAt: '2026-09-01T08:00:00.000Z',
      schema: { status: 'valid' },
    })
  })

  it('applies overrides (typed by the event) on top', () => {
    const body = freshFixture('ContactCreate', { email: 'new@example.com', tags: ['vip'] })
    expect(body).toMatchObject({ type: 'ContactCreate', email: 'new@example.com', tags: ['vip'] })
  })

  it('refreshes every item of an array body', () => {
    const plans = freshFixture('SaaSPlanCreate', { title: 'Pro' })
    expect(Array.isArray(plans)).toBe(true)
    if (Array.isArray(plans))
      for (const plan of plans) expect(plan).toMatchObject({ title: 'Pro', type: 'SaasPlanCreate' })
  })
})
