import { randomUUID, sign } from 'node:crypto'
import { createBodyGenerator } from './ghl-body.js'
import type { BenchKeys } from './keys.js'
import type { Target } from './targets.js'

/**
 * Two requests sent before any load, with bodies that are not in the requests file:
 *  - a correctly signed one, which must get a 2xx (for the gateway: `{"status":"accepted"}`);
 *  - one whose signature belongs to another body, which must get 401 (except for `bare`).
 * Without this a baseline could measure its own 401 path (e.g. the guide's re-serialized body not
 * matching) and look fast for the wrong reason.
 */
export interface ProbeResult {
  ok: boolean
  valid: { status: number; body: string }
  tampered: { status: number; body: string }
  problems: string[]
}

function signedHeaders(keys: BenchKeys, target: Target, signedBody: string): Record<string, string> {
  const raw = Buffer.from(signedBody)
  const headers: Record<string, string> = { 'content-type': 'application/json' }
  if (target.signature === 'ed25519' || target.signature === 'both') {
    headers['x-ghl-signature'] = sign(null, raw, keys.ed25519.privateKey).toString('base64')
  }
  if (target.signature === 'rsa' || target.signature === 'both') {
    headers['x-wh-signature'] = sign('sha256', raw, keys.rsa.privateKey).toString('base64')
  }
  return headers
}

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(5000) })
  return { status: res.status, body: (await res.text()).slice(0, 300) }
}

export async function probe(baseUrl: string, target: Target, keys: BenchKeys): Promise<ProbeResult> {
  const generator = createBodyGenerator(`probe-${randomUUID()}`, Date.now())
  const body = generator.body(0)
  const other = generator.body(1)
  const url = baseUrl + target.path

  const valid = await post(url, signedHeaders(keys, target, body), body)
  const tampered = await post(url, signedHeaders(keys, target, other), body)

  const problems: string[] = []
  if (valid.status < 200 || valid.status > 299) {
    problems.push(`a correctly signed request got ${valid.status} (expected 2xx): ${valid.body}`)
  } else if (target.readyPath) {
    // The gateway's acknowledgement: 200 {"status":"accepted","eventId":"evt_…"}.
    let parsed: { status?: unknown; eventId?: unknown } = {}
    try {
      parsed = JSON.parse(valid.body) as typeof parsed
    } catch {}
    if (parsed.status !== 'accepted' || typeof parsed.eventId !== 'string') {
      problems.push(
        `gateway answered ${valid.status} without {"status":"accepted","eventId":…}: ${valid.body}`,
      )
    }
  }
  const expectedTampered = target.verifies ? 401 : 200
  if (tampered.status !== expectedTampered) {
    problems.push(`a request with a wrong signature got ${tampered.status} (expected ${expectedTampered})`)
  }
  return { ok: problems.length === 0, valid, tampered, problems }
}
