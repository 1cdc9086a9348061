import { isIP } from 'node:net'
import { z } from 'zod'
import { strictObject } from '../strict-object.js'

/** `egress.allow`: hosts, IP addresses and CIDR ranges the SSRF guard lets through. */
export const egressAllowEntry = z
  .string()
  .min(1)
  .max(255)
  .superRefine((entry, ctx) => {
    if (isAllowEntry(entry)) return
    ctx.addIssue({
      code: 'custom',
      message: `"${entry}" is not a host name, an IP address or a CIDR range (e.g. 10.0.0.0/8, fd00::/8, *.internal.example)`,
    })
  })

export function isAllowEntry(entry: string): boolean {
  const slash = entry.indexOf('/')
  if (slash >= 0) {
    const ip = entry.slice(0, slash)
    const bits = Number(entry.slice(slash + 1))
    const family = isIP(ip)
    return family !== 0 && Number.isInteger(bits) && bits >= 0 && bits <= (family === 4 ? 32 : 128)
  }
  if (isIP(entry)) return true
  return /^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?$/.test(entry)
}

export const egressSchema = strictObject({ allow: z.array(egressAllowEntry).default([]) }).default({
  allow: [],
})
