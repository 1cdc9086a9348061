import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

// `timingSafeEqual` throws on unequal lengths, and an early length check would leak the expected
// length. Comparing HMACs under a key nobody else knows gives two equal-length digests whose
// equality implies equality of the inputs, and an attacker cannot steer the digests byte by byte.
const comparisonKey = randomBytes(32)

function digest(value: Buffer | string): Buffer {
  return createHmac('sha256', comparisonKey).update(value).digest()
}

/** Constant-time equality for secrets, tokens and signatures, also when the lengths differ. */
export function safeEqual(a: Buffer | string, b: Buffer | string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}
