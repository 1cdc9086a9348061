import { afterAll, afterEach, beforeEach } from 'vitest'
import { type ReleaseStack, unreleased } from '../../src/release-stack.js'
import { refuseUnreleased } from './unreleased.js'

/**
 * Fails a test that leaves a gateway unreleased (graphile-worker's `afterEach` check on worker
 * pools): a gateway built while a test ran — in its `beforeEach`, body or `afterEach` — must be
 * released by the end of its `afterEach`; one built in a `beforeAll` by the end of the file. The
 * failure names what each one still holds (store, worker, destinations, http server…), then
 * releases it so the tests after it start clean. Runs as a vitest setup file: its hooks are the
 * outermost, so they run before the file's own `beforeEach` and after its `afterEach`/`afterAll`.
 */

let before = new Set<ReleaseStack>()

beforeEach(() => {
  before = new Set(unreleased())
})

afterEach(async () => {
  await refuseUnreleased(
    unreleased().filter((stack) => !before.has(stack)),
    'this test left',
    'release it in the test (try/finally, onTestFinished) or its afterEach',
  )
})

afterAll(async () => {
  await refuseUnreleased(unreleased(), 'this file left', 'release it in an afterAll')
})
