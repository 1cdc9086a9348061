import { describe, expect, it } from 'vitest'
import { LoginLimiter } from './login-limiter.js'

describe('failed console logins (token bucket)', () => {
  it('allows `burst` failures, then refuses until a token has refilled', () => {
    let now = 1_000_000
    const limiter = new LoginLimiter({ burst: 3, refillMs: 6000, now: () => now })
    for (let i = 0; i < 3; i++) {
      expect(limiter.waitSeconds()).toBe(0)
      limiter.failed()
    }
    expect(limiter.waitSeconds()).toBe(6)
    now += 4500
    expect(limiter.waitSeconds()).toBe(2)
    now += 1500
    expect(limiter.waitSeconds()).toBe(0)
    limiter.failed()
    expect(limiter.waitSeconds()).toBe(6)
  })

  it('refills up to the burst only, and a clock going backwards gives nothing', () => {
    let now = 0
    const limiter = new LoginLimiter({ burst: 2, refillMs: 1000, now: () => now })
    now += 3_600_000
    limiter.failed()
    limiter.failed()
    expect(limiter.waitSeconds()).toBe(1)
    now -= 60_000
    expect(limiter.waitSeconds()).toBe(1)
    now += 60_000
    expect(limiter.waitSeconds()).toBe(1)
    now += 1000
    expect(limiter.waitSeconds()).toBe(0)
  })
})
