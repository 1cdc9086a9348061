import { describe, expect, it } from 'vitest'
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js'
import { TokenBucket } from './rate-limit.js'

const options = { failureRate: 1, window: 60_000, minAttempts: 4, cooldown: 10_000, maxCooldown: 30_000 }

describe('CircuitBreaker', () => {
  const fail = (breaker: CircuitBreaker, now: number, ok = false) =>
    breaker.onResult(now, breaker.onStart(now), ok)

  it('opens only after minAttempts, all failing, within the window', () => {
    const changes: CircuitState[] = []
    const breaker = new CircuitBreaker(options, (s) => changes.push(s))
    fail(breaker, 0)
    fail(breaker, 1000)
    fail(breaker, 2000, true)
    fail(breaker, 3000)
    expect(breaker.state(3000)).toBe('closed') // 3 of 4 failed
    // The success ages out of the window; four failures in a row open it.
    fail(breaker, 70_000)
    fail(breaker, 70_001)
    fail(breaker, 70_002)
    expect(breaker.state(70_002)).toBe('closed')
    fail(breaker, 70_003)
    expect(breaker.state(70_003)).toBe('open')
    expect(breaker.available(70_003)).toBe(0)
    expect(breaker.msUntilProbe(75_003)).toBe(5000)
    expect(changes).toEqual(['open'])
  })

  it('a lower failureRate opens on a share of failures', () => {
    const breaker = new CircuitBreaker({ ...options, failureRate: 0.5 })
    fail(breaker, 0, true)
    fail(breaker, 1, true)
    fail(breaker, 2)
    fail(breaker, 3)
    expect(breaker.state(3)).toBe('open')
  })

  it('half-open lets one probe through; failure doubles the cooldown (capped), success closes', () => {
    const breaker = new CircuitBreaker(options)
    for (let i = 0; i < 4; i++) fail(breaker, i)
    expect(breaker.state(10_002)).toBe('open')
    expect(breaker.available(10_003)).toBe(1)
    const probe = breaker.onStart(10_003)
    expect(probe.probe).toBe(true)
    expect(breaker.available(10_004)).toBe(0)
    breaker.onResult(10_010, probe, false)
    expect(breaker.snapshot(10_010)).toMatchObject({ state: 'open', cooldownMs: 20_000, probeAt: 30_010 })
    expect(breaker.state(30_009)).toBe('open')
    breaker.onResult(30_010, breaker.onStart(30_010), false)
    expect(breaker.snapshot(30_010).cooldownMs).toBe(30_000) // capped
    const last = breaker.onStart(60_010)
    // A late result of an attempt started before the circuit opened changes nothing.
    breaker.onResult(60_011, { generation: 0, probe: false }, true)
    expect(breaker.state(60_011)).toBe('half_open')
    breaker.onResult(60_020, last, true)
    expect(breaker.snapshot(60_020)).toMatchObject({
      state: 'closed',
      cooldownMs: 10_000,
      window: { attempts: 0 },
    })
    expect(breaker.available(60_020)).toBe(Number.POSITIVE_INFINITY)
  })
})

describe('CircuitBreaker.probeNow', () => {
  const open = () => {
    const breaker = new CircuitBreaker(options)
    for (let i = 0; i < 4; i++) breaker.onResult(i, breaker.onStart(i), false)
    return breaker
  }

  it('moves an open circuit to half-open at once: the next delivery is the probe, its success closes', () => {
    const breaker = open()
    expect(breaker.available(100)).toBe(0)
    expect(breaker.probeNow(100)).toBe(true)
    expect(breaker.snapshot(100)).toMatchObject({ state: 'half_open', probeAt: null })
    expect(breaker.available(100)).toBe(1)
    const probe = breaker.onStart(101)
    expect(probe.probe).toBe(true)
    expect(breaker.available(101)).toBe(0)
    breaker.onResult(150, probe, true)
    expect(breaker.state(150)).toBe('closed')
  })

  it('a failed forced probe reopens with the same cooldown (not doubled), counted from the failure', () => {
    const breaker = open()
    breaker.probeNow(100)
    breaker.onResult(200, breaker.onStart(100), false)
    expect(breaker.snapshot(200)).toMatchObject({ state: 'open', cooldownMs: 10_000, probeAt: 10_200 })
    // The automatic probe after it still doubles on failure.
    breaker.onResult(10_300, breaker.onStart(10_200), false)
    expect(breaker.snapshot(10_300)).toMatchObject({ state: 'open', cooldownMs: 20_000 })
  })

  it('does nothing on a closed or half-open circuit', () => {
    const closed = new CircuitBreaker(options)
    expect(closed.probeNow(0)).toBe(false)
    expect(closed.state(0)).toBe('closed')
    const breaker = open()
    breaker.probeNow(100)
    const probe = breaker.onStart(100)
    expect(breaker.probeNow(120)).toBe(false) // the probe in flight keeps its ticket
    breaker.onResult(130, probe, true)
    expect(breaker.state(130)).toBe('closed')
  })
})

describe('TokenBucket', () => {
  it('starts with its burst, refills at perSecond, and never saves more than the burst', () => {
    const bucket = new TokenBucket(20, undefined, 0)
    expect(bucket.burst).toBe(2)
    expect(bucket.available(0)).toBe(2)
    bucket.take(0)
    bucket.take(0)
    expect(bucket.available(0)).toBe(0)
    expect(bucket.msUntilNext(0)).toBe(50)
    expect(bucket.available(49)).toBe(0)
    expect(bucket.available(50)).toBe(1)
    expect(bucket.available(10_000)).toBe(2)
    // Over 10 s of continuous demand: 2 + 20 × 10 starts.
    let started = 0
    const fresh = new TokenBucket(20, undefined, 0)
    for (let t = 0; t <= 10_000; t += 5) {
      while (fresh.available(t) > 0) {
        fresh.take(t)
        started++
      }
    }
    expect(started).toBe(202)
  })
  it('takes a configured burst', () => {
    expect(new TokenBucket(0.5, 5, 0).available(0)).toBe(5)
    expect(new TokenBucket(0.5, undefined, 0).burst).toBe(1)
  })
})
