import { describe, expect, it } from 'vitest'
import { renderTemplate, templateScope } from './template.js'

const envelope = {
  id: 'evt_1',
  type: 'contact.created',
  tenant: { locationId: 'loc_1' },
  entity: { kind: 'contact', id: 'c_1' },
  data: {
    email: 'a@b.co',
    tags: ['vip', 'b2b'],
    score: 7,
    active: false,
    nested: { x: null },
    items: [{ id: 'i1' }],
  },
}
const scope = templateScope(envelope)

describe('renderTemplate', () => {
  it.each([
    ['{{data.email}}', 'a@b.co'],
    ['{{ data.score }}', 7],
    ['{{data.active}}', false],
    ['{{data.tags}}', ['vip', 'b2b']],
    ['{{data.nested}}', { x: null }],
    ['{{data.nested.x}}', null],
    ['{{data.missing}}', null],
    ['{{data.tags.5}}', null],
    ['{{data.items[0].id}}', 'i1'],
    ['{{data.items.0.id}}', 'i1'],
    ['{{contact.email}}', 'a@b.co'],
    ['{{tenant.locationId}}', 'loc_1'],
    ['{{data.email.length}}', null],
    ['{{constructor}}', null],
    ['{{__proto__}}', null],
    ['{{}}', '{{}}'],
    [
      'Hi {{data.email}} ({{data.score}}), tags {{data.tags}}, {{data.missing}}.',
      'Hi a@b.co (7), tags ["vip","b2b"], .',
    ],
    ['no placeholders', 'no placeholders'],
    ['{{ unclosed', '{{ unclosed'],
  ] as const)('%j → %j', (template, expected) => {
    expect(renderTemplate(template, scope)).toEqual(expected)
  })

  it('renders nested objects and arrays, leaving non-strings alone', () => {
    expect(
      renderTemplate(
        { a: ['{{type}}', 1, true, null, { b: '{{entity.id}}' }], '{{type}}': 'key stays' },
        scope,
      ),
    ).toEqual({ a: ['contact.created', 1, true, null, { b: 'c_1' }], '{{type}}': 'key stays' })
  })

  it('does not alias the body under an entity kind that is an envelope field', () => {
    expect(templateScope({ ...envelope, entity: { kind: 'data' } })).not.toHaveProperty('contact')
    expect(templateScope({ ...envelope, entity: { kind: 'unknown' } })).not.toHaveProperty('unknown')
  })
})
