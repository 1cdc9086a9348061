import { describe, expect, it } from 'vitest'
import { didYouMean, editDistance, nearestNames } from './did-you-mean.js'

describe('did you mean', () => {
  it('counts insertions, deletions, substitutions and adjacent transpositions as one edit each', () => {
    expect(editDistance('contact.creatd', 'contact.created')).toBe(1)
    expect(editDistance('contact.craeted', 'contact.created')).toBe(1)
    expect(editDistance('destinatons', 'destinations')).toBe(1)
    expect(editDistance('kitten', 'sitting')).toBe(3)
    expect(editDistance('', 'abc')).toBe(3)
  })

  it('stops early once the distance must exceed the limit, with limit + 1', () => {
    expect(editDistance('ContactCreate', 'zzzzzzzzzzzzzzzzzzzzzzz', 2)).toBe(3)
    expect(editDistance('abc', 'xyz', 1)).toBe(2)
  })

  it('offers the closest names within max(2, length / 4) edits, ignoring case', () => {
    const names = ['ContactCreate', 'ContactDelete', 'contact.created', 'OpportunityCreate']
    expect(nearestNames('ContactCreat', names)).toEqual(['ContactCreate'])
    expect(nearestNames('contactcreate', names)).toEqual(['ContactCreate'])
    expect(nearestNames('ContactDeleet', names)).toEqual(['ContactDelete'])
    expect(nearestNames('Invoice', names)).toEqual([])
  })

  it('keeps ties, at most three', () => {
    expect(nearestNames('ab', ['aa', 'bb', 'ac', 'zz', 'ad', 'ae'])).toEqual(['aa', 'bb', 'ac'])
  })

  it('writes one sentence fragment, or nothing', () => {
    expect(didYouMean('destinatons', ['sources', 'destinations', 'egress'])).toBe(
      'did you mean "destinations"?',
    )
    expect(didYouMean('x', ['sources'])).toBeUndefined()
  })
})
