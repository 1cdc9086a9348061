import { describe, expect, it } from 'vitest'
import { ReleaseStack, unreleased } from './release-stack.js'

describe('ReleaseStack', () => {
  it('releases last taken first, once however often it is called', async () => {
    const order: string[] = []
    const stack = new ReleaseStack('test stack')
    for (const name of ['store', 'worker', 'http server']) stack.hold(name, () => void order.push(name))
    expect(stack.held).toEqual(['http server', 'worker', 'store'])
    expect(unreleased()).toContain(stack)
    await Promise.all([stack.release(), stack.release()])
    await stack.release()
    expect(order).toEqual(['http server', 'worker', 'store'])
    expect(stack.held).toEqual([])
    expect(unreleased()).not.toContain(stack)
  })

  it('releases every part when one fails, then rethrows the first failure', async () => {
    const order: string[] = []
    const stack = new ReleaseStack('test stack')
    stack.hold('store', () => void order.push('store'))
    stack.hold('destinations', async () => {
      throw new Error('destinations failed')
    })
    stack.hold('worker', () => {
      throw new Error('worker failed')
    })
    await expect(stack.release()).rejects.toThrow('worker failed')
    expect(order).toEqual(['store'])
    expect(unreleased()).not.toContain(stack)
  })

  it('refuses to hold anything once the release began', async () => {
    const stack = new ReleaseStack('test stack')
    stack.hold('store', () => {})
    const released = stack.release()
    expect(() => stack.hold('late', () => {})).toThrow('test stack: "late" was taken after the release began')
    await released
  })

  it('is listed only while it holds something', () => {
    const stack = new ReleaseStack('empty')
    expect(unreleased()).not.toContain(stack)
  })
})
