import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../../test/support/databases.js'
import { sampleEvent } from '../../../test/support/sample-event.js'
import { newId } from '../../ids.js'
import type { Store } from '../types.js'
import { createSqliteStore, sqliteCheckpointer } from './sqlite-store.js'

/**
 * Every SQLite store method that writes waits while a catch-up checkpoint holds writes back
 * (write-gate.ts). Each method is called with the gate closed; a commit seen from another
 * connection (`PRAGMA data_version`) means the method wrote without waiting. The table names every
 * Store method (the type says so), with a call that writes for each write, so a new method cannot be
 * left out and a new write cannot skip the gate unnoticed.
 */

type StoreMethod = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never
}[keyof Store]
type Call = { writes: boolean; call: (store: Store) => unknown } | { exempt: string }

const NOW = Date.now()
const DEAD = newId('dlv')
const attempt = { number: 1, cycle: 0, startedAt: NOW, durationMs: 1 }
const result = (deliveryId: string, next: { state: 'succeeded' } | { state: 'dead'; error: string }) => ({
  deliveryId,
  worker: 'w',
  attempt: {
    ...attempt,
    id: newId('att'),
    errorClass: null,
    errorMessage: null,
    errorStack: null,
    response: null,
  },
  next,
})
const planned = (subscriberId: string, id = newId('dlv')) => ({
  id,
  subscriberId,
  orderingKey: null,
  runAt: NOW,
})
const job = (id: string) => ({
  id,
  action: 'replay' as const,
  filter: {},
  total: 0,
  totalCapped: false,
  now: NOW,
})
const event = sampleEvent({ deliveries: [planned('s'), planned('s2')] })
const OWNER = { appId: 'app', userType: 'Location', ownerId: 'loc' } as const
const CIPHERTEXTS = {
  keyId: 'key_x',
  accessToken: Buffer.from('a'),
  refreshToken: Buffer.from('r'),
  expiresAt: NOW,
  scopes: '',
}

/** In order: later calls use what earlier ones wrote (the claim leases what finish and release end). */
const CALLS: { [K in StoreMethod]: Call } = {
  migrate: { exempt: 'runs once at boot, before anything is written' },
  close: { exempt: 'the last call; it checkpoints the WAL itself' },
  migrationStatus: { writes: false, call: (s) => s.migrationStatus() },
  insertEvents: { writes: true, call: (s) => s.insertEvents([event]) },
  getEvent: { writes: false, call: (s) => s.getEvent(event.id) },
  listEvents: { writes: false, call: (s) => s.listEvents({}, { limit: 10 }) },
  entityEvents: {
    writes: false,
    call: (s) => s.entityEvents({ entityKind: 'contact', entityId: 'c1', limit: 10 }),
  },
  eventTypeStats: { writes: false, call: (s) => s.eventTypeStats(['contact.created'], Date.now()) },
  countBacklog: { writes: false, call: (s) => s.countBacklog() },
  claimDeliveries: {
    writes: true,
    call: (s) =>
      s.claimDeliveries({
        worker: 'w',
        now: NOW,
        leaseMs: 60_000,
        slots: [
          { subscriberId: 's', limit: 1 },
          { subscriberId: 's2', limit: 1 },
        ],
      }),
  },
  finishAttempts: {
    writes: true,
    call: (s) => s.finishAttempts([result(event.deliveries[0]!.id, { state: 'succeeded' })], NOW),
  },
  releaseDeliveries: { writes: true, call: (s) => s.releaseDeliveries([event.deliveries[1]!.id], 'w', NOW) },
  getDelivery: { writes: false, call: (s) => s.getDelivery(DEAD) },
  eventDeliveries: { writes: false, call: (s) => s.eventDeliveries(event.id) },
  listDeliveries: { writes: false, call: (s) => s.listDeliveries({ states: ['dead'] }, { limit: 10 }) },
  replayDeliveries: { writes: true, call: (s) => s.replayDeliveries({ states: ['succeeded'] }, NOW, 10) },
  addDeliveries: { writes: true, call: (s) => s.addDeliveries(event.id, [planned('t')], NOW) },
  discardDeliveries: { writes: true, call: (s) => s.discardDeliveries({}, NOW) },
  onceResult: { writes: false, call: (s) => s.onceResult(DEAD, 'k') },
  recordOnce: { writes: true, call: (s) => s.recordOnce(DEAD, 'k', { sent: true }, NOW) },
  processingStats: { writes: false, call: (s) => s.processingStats(NOW) },
  listLocations: { writes: false, call: (s) => s.listLocations({ since: 0, limit: 10 }) },
  getLocation: { writes: false, call: (s) => s.getLocation('loc', 0) },
  blockedLanes: { writes: false, call: (s) => s.blockedLanes('loc', 10) },
  statsSeries: {
    writes: false,
    call: (s) => s.statsSeries({ start: NOW - 60_000, bucketMs: 1000, buckets: 60 }),
  },
  takeRateTokens: {
    writes: true,
    call: (s) => s.takeRateTokens('bucket', 1, { perSecond: 1, burst: 5 }, NOW),
  },
  putGhlToken: {
    writes: true,
    call: (s) => s.putGhlToken(OWNER, { ...CIPHERTEXTS, companyId: null }, NOW),
  },
  getGhlToken: { writes: false, call: (s) => s.getGhlToken(OWNER) },
  takeGhlRateSlot: {
    writes: true,
    call: (s) => s.takeGhlRateSlot(OWNER, { burst: 10, windowMs: 10_000, daily: 100 }, NOW),
  },
  settleGhlRateCall: { writes: true, call: (s) => s.settleGhlRateCall(OWNER, NOW, NOW + 1) },
  noteGhlRateAnswer: {
    writes: true,
    call: (s) => s.noteGhlRateAnswer(OWNER, { pause: { window: 'burst', forMs: 1000 } }, NOW),
  },
  leaseGhlToken: { writes: true, call: (s) => s.leaseGhlToken(OWNER, 'h', 1000, NOW) },
  endGhlTokenLease: {
    writes: true,
    call: (s) => s.endGhlTokenLease(OWNER, { holder: 'h', version: 2 }, 'interrupted', NOW),
  },
  interruptedGhlTokens: { writes: false, call: (s) => s.interruptedGhlTokens(10, NOW) },
  // The interrupted lease keeps its holder: it may still save (version 3).
  saveRefreshedGhlToken: {
    writes: true,
    call: (s) => s.saveRefreshedGhlToken(OWNER, { holder: 'h', version: 3 }, CIPHERTEXTS, NOW),
  },
  setGhlTokenStatus: { writes: true, call: (s) => s.setGhlTokenStatus(OWNER, 'revoked', 'x', NOW) },
  sampleGhlTokensByKey: { writes: false, call: (s) => s.sampleGhlTokensByKey() },
  countGhlTokensByStatus: { writes: false, call: (s) => s.countGhlTokensByStatus() },
  countGhlTokens: { writes: false, call: (s) => s.countGhlTokens('active', 10) },
  listGhlTokens: { writes: false, call: (s) => s.listGhlTokens({ status: 'active', limit: 5 }) },
  agedGhlTokens: { writes: false, call: (s) => s.agedGhlTokens(NOW, 5) },
  deleteGhlToken: { writes: true, call: (s) => s.deleteGhlToken(OWNER) },
  recordGhlInstall: {
    writes: true,
    call: (s) => s.recordGhlInstall(OWNER, { companyId: 'comp', bulk: false }, NOW),
  },
  getGhlInstallation: { writes: false, call: (s) => s.getGhlInstallation(OWNER) },
  listGhlInstallations: { writes: false, call: (s) => s.listGhlInstallations({ appId: 'app', limit: 10 }) },
  setGhlInstallationTenant: { writes: true, call: (s) => s.setGhlInstallationTenant(OWNER, 't', NOW) },
  ghlLocationFacts: { writes: false, call: (s) => s.ghlLocationFacts('app', 10) },
  uninstallGhlInstallation: { writes: true, call: (s) => s.uninstallGhlInstallation(OWNER, NOW) },
  revokeGhlCompanyTokens: {
    writes: true,
    call: async (s) => {
      await s.putGhlToken(
        { ...OWNER, userType: 'Company', ownerId: 'comp' },
        { ...CIPHERTEXTS, companyId: null },
        NOW,
      )
      return s.revokeGhlCompanyTokens('app', 'comp', 'x', NOW)
    },
  },
  uninstallGhlCompany: {
    writes: true,
    call: async (s) => {
      await s.recordGhlInstall(OWNER, { companyId: 'comp', bulk: false }, NOW)
      return s.uninstallGhlCompany('app', 'comp', NOW)
    },
  },
  listDestinations: { writes: false, call: (s) => s.listDestinations() },
  getDestination: { writes: false, call: (s) => s.getDestination('api') },
  insertDestination: {
    writes: true,
    call: (s) => s.insertDestination({ id: 'new', origin: 'api', definition: {}, enabled: true }, NOW),
  },
  replaceDestination: {
    writes: true,
    call: (s) => s.replaceDestination({ id: 'new', origin: 'api', definition: { v: 2 }, enabled: true }, NOW),
  },
  setDestinationState: { writes: true, call: (s) => s.setDestinationState('api', 'paused', 'operator', NOW) },
  claimConfigDestinations: {
    writes: true,
    call: (s) => s.claimConfigDestinations(['config'], NOW, 'orphaned'),
  },
  releaseConfigDestinations: { writes: true, call: (s) => s.releaseConfigDestinations(['config'], NOW) },
  orphanConfigDestinations: {
    writes: true,
    call: (s) => s.orphanConfigDestinations(NOW + 1, NOW, 'orphaned'),
  },
  requestDestinationProbe: { writes: true, call: (s) => s.requestDestinationProbe('api', NOW) },
  recentSubscriberAttempts: { writes: false, call: (s) => s.recentSubscriberAttempts('s', 10, 100) },
  countOpenDeliveries: { writes: false, call: (s) => s.countOpenDeliveries(['s']) },
  deleteDestination: { writes: true, call: (s) => s.deleteDestination('api', NOW, 'deleted') },
  pruneEvents: { writes: true, call: (s) => s.pruneEvents(NOW, 10) },
  announceWork: { writes: false, call: (s) => s.announceWork() },
  listenForWork: {
    writes: false,
    call: (s) =>
      s.listenForWork(
        () => {},
        () => {},
      ),
  },
  heartbeat: { writes: true, call: (s) => s.heartbeat({ id: 'host:1:0', version: 'test', startedAt: NOW }) },
  isUnavailableError: { writes: false, call: (s) => s.isUnavailableError(new Error('x')) },
  countDead: { writes: false, call: (s) => s.countDead({}, 10) },
  deadGroups: { writes: false, call: (s) => s.deadGroups({}, 10) },
  createDlqJob: { writes: true, call: (s) => s.createDlqJob(job('job_a')) },
  getDlqJob: { writes: false, call: (s) => s.getDlqJob('job_a') },
  listDlqJobs: { writes: false, call: (s) => s.listDlqJobs(10) },
  cancelDlqJob: { writes: true, call: (s) => s.cancelDlqJob('job_a', NOW) },
  // Each needs a job of its own (its first write waits at the gate like the rest).
  claimDlqJob: {
    writes: true,
    call: async (s) => {
      await s.createDlqJob(job('job_b'))
      return s.claimDlqJob('w', NOW, 1000)
    },
  },
  failDlqJob: { writes: true, call: (s) => s.failDlqJob('job_b', 'w', 'broken', NOW) },
  runDlqJobBatch: {
    writes: true,
    call: async (s) => {
      await s.createDlqJob(job('job_c'))
      await s.claimDlqJob('w', NOW, 1000)
      return s.runDlqJobBatch('job_c', 'w', NOW, { leaseMs: 1000, window: 10 })
    },
  },
}

describe('SQLite write gate', () => {
  const file = freshSqliteFile()
  const store = createSqliteStore({ path: file.path })
  let sibling: Database.Database

  beforeAll(async () => {
    await store.migrate()
    // A dead delivery to discard and an old event with none to prune; destinations to change.
    const old = sampleEvent({ receivedAt: NOW - 1000, deliveries: [planned('x', DEAD)] })
    await store.insertEvents([old, sampleEvent({ receivedAt: NOW - 1000 })])
    await store.claimDeliveries({
      worker: 'w',
      now: NOW,
      leaseMs: 1000,
      slots: [{ subscriberId: 'x', limit: 1 }],
    })
    await store.finishAttempts([result(DEAD, { state: 'dead', error: 'x' })], NOW)
    await store.insertDestination({ id: 'api', origin: 'api', definition: {}, enabled: true }, NOW)
    await store.insertDestination({ id: 'config', origin: 'config', definition: {}, enabled: true }, NOW)
    sibling = new Database(file.path, { readonly: true })
  })

  afterAll(async () => {
    sibling.close()
    await store.close()
    file.remove()
  })

  it('names every method of the store', () => {
    const methods = Object.keys(store).filter((key) => typeof store[key as keyof Store] === 'function')
    expect(methods.sort()).toEqual(Object.keys(CALLS).sort())
  })

  it('holds back every write while a checkpoint has the gate closed, and lets reads through', async () => {
    const checkpointer = sqliteCheckpointer(store)!
    const version = () => sibling.pragma('data_version', { simple: true }) as number
    const turns = async () => {
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
    }
    for (const [name, entry] of Object.entries(CALLS) as [StoreMethod, Call][]) {
      if ('exempt' in entry) continue
      let open!: () => void
      checkpointer.gate = new Promise<void>((resolve) => (open = resolve))
      const before = version()
      let settled = false
      const call = Promise.resolve(entry.call(store)).finally(() => (settled = true))
      await turns()
      expect(version(), `${name} wrote while the write gate was closed`).toBe(before)
      expect(settled, `${name} ${entry.writes ? 'did not wait for' : 'waited for'} the gate`).toBe(
        !entry.writes,
      )
      checkpointer.gate = undefined
      open()
      await call
      expect(version() !== before, `${name} ${entry.writes ? 'wrote nothing' : 'wrote'}`).toBe(entry.writes)
    }
  })
})
