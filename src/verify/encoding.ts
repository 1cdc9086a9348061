// `Buffer.from(value, 'base64' | 'hex')` skips characters it does not understand and stops at the
// first bad hex digit, so `<valid signature>garbage` would decode to the valid signature. These
// decoders accept only well-formed input and return `undefined` for anything else.

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
const HEX = /^(?:[0-9a-fA-F]{2})*$/

/** Standard (not URL-safe) base64, padding optional; `undefined` unless the text is canonical. */
export function decodeBase64Strict(value: string): Buffer | undefined {
  if (value.length === 0 || !BASE64.test(value)) return undefined
  const bytes = Buffer.from(value, 'base64')
  // Re-encoding rejects impossible lengths and non-zero trailing bits in one comparison.
  if (bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) return undefined
  return bytes
}

/** Hex in either case; `undefined` for odd lengths or any non-hex character. */
export function decodeHexStrict(value: string): Buffer | undefined {
  if (value.length === 0 || !HEX.test(value)) return undefined
  return Buffer.from(value, 'hex')
}
