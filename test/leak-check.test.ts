import { describe, expect, it } from 'vitest'
import { ReleaseStack, unreleased } from '../src/release-stack.js'
import { refuseUnreleased } from './support/unreleased.js'

/** The check test/support/leak-check.ts runs after every test and file (vitest setupFiles). */
describe('the unreleased-gateway check', () => {
  it('fails naming each gateway left and what it still holds, and releases them', async () => {
    const released: string[] = []
    const stack = new ReleaseStack('gateway sqlite:/tmp/left.db')
    for (const name of ['store', 'destinations', 'worker', 'http server'])
      stack.hold(name, () => void released.push(name))
    await expect(refuseUnreleased([stack], 'this test left', 'release it')).rejects.toThrow(
      'this test left 1 unreleased: gateway sqlite:/tmp/left.db (still holding: http server, worker, destinations, store); release it',
    )
    expect(released).toEqual(['http server', 'worker', 'destinations', 'store'])
    expect(unreleased()).not.toContain(stack)
  })

  it('passes when nothing was left', async () => {
    await expect(refuseUnreleased([], 'this test left', 'release it')).resolves.toBeUndefined()
  })
})
