import { describe, expect, it } from 'vitest'
import { postgresHarness, storePerTest } from '../../../test/support/store-harness.js'
import { until } from '../../../test/support/until.js'
import type { Store, WorkTopic } from '../types.js'

/**
 * Cross-process wake-ups: another process's announcement wakes this one at once (its 1 s poll would
 * find the work too, later — so a broken wake-up shows only here), and a store's own announcement
 * does not come back to it (its worker was woken in-process already).
 */
describe('PostgreSQL work announcements', () => {
  const harness = postgresHarness()
  let a: Store
  const { keep } = storePerTest(harness, (fresh) => {
    a = fresh
  })

  const listen = (store: Store) => {
    const heard: WorkTopic[] = []
    const stop = store.listenForWork(
      (topic) => heard.push(topic),
      () => {},
    )
    return { heard, stop }
  }

  it('reach the other process, not the one that sent them; destination reloads reach both', async () => {
    const b = keep(harness.openSibling())
    const onA = listen(a)
    const onB = listen(b)
    try {
      // Each listener wakes its worker once on (re)connect: wait for those, then start counting.
      await until(() => onA.heard.length >= 2 && onB.heard.length >= 2, 'an announcement')
      onA.heard.length = 0
      onB.heard.length = 0

      await a.announceWork()
      await until(() => onB.heard.length === 1, 'an announcement')
      expect(onB.heard).toEqual(['deliveries'])

      // Sent after a's: if a heard its own, it has arrived by the time b hears this one.
      await b.announceWork('destinations')
      await until(() => onA.heard.length === 1 && onB.heard.length === 2, 'an announcement')
      expect(onA.heard).toEqual(['destinations'])
      expect(onB.heard).toEqual(['deliveries', 'destinations'])
    } finally {
      await onA.stop()
      await onB.stop()
    }
  })
})
