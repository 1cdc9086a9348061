import type { IncomingHttpHeaders } from 'node:http'
import { publishedType, type TypeMapper } from '../catalog/index.js'
import { parseFormBody, parseJsonBody } from '../catalog/parse-body.js'
import type { SubscriberRegistry } from '../dispatch/registry.js'
import { planDeliveries } from '../dispatch/subscribers.js'
import { GatewayError } from '../errors.js'
import { newId } from '../ids.js'
import type { NewEvent, Verification } from '../store/types.js'
import { fingerprint, type VerifyOutcome, type VerifyRequest } from '../verify/index.js'
import { type ClassifiedBody, classifyGhl, classifyOther, contentHashOf } from './classify-event.js'
import { mediaTypeOf } from './media-types.js'
import type { SourceRuntime } from './sources.js'

/**
 * What the receive stage decides about a webhook once its signature was checked, in one pure
 * function: accept it (or refuse it: 401, 400), parse and classify its body, choose its dedupe key
 * and ids, flag what a human should notice, and plan its deliveries. No HTTP framework and no
 * store: `webhook-routes.ts` hands it the request and commits what it returns.
 */

/** One webhook as received; it is also the request its verifier checks. */
export interface ReceivedWebhook extends VerifyRequest {
  source: SourceRuntime
  /** The path segment after the source: a secret URL's token, or a GHL per-event URL's event name. */
  segment: string | undefined
  /** The trace context kept with the event (observe/tracing.ts, `IngestSpan.traceParent`). */
  traceParent?: string | null
  /** Its `tracestate` (`IngestSpan.traceState`, null unless `traceParent` is set: tracing.ts decides both). */
  traceState?: string | null
}

/** What every webhook of a route is built with (the route's options satisfy it as they are). */
export interface NewEventContext {
  /** Published types, for the subscribers' patterns. */
  types: TypeMapper
  /** Who wants events: their deliveries are planned here and committed with the event. */
  registry: SubscriberRegistry
  /** Flag GHL events whose body timestamp is further than this from now; null = off. */
  ghlTimestampWindowMs: number | null
  /** The GHL app's uninstalled locations (in memory), when an app is configured. */
  ghlUninstalled?: UninstalledLocations
}

/**
 * GHL events of a location that uninstalled the app are stored and flagged `location_uninstalled`;
 * with `deliver: false` (GHL_UNINSTALLED_EVENTS=skip) only `keep` — the gateway's own lifecycle
 * subscriber, which must see a re-install — gets deliveries. A Set lookup: no query per event.
 */
export interface UninstalledLocations {
  has(locationId: string): boolean
  deliver: boolean
  keep: string
}

/** The event row to commit, its deliveries planned; throws the catalog's error for a refusal. */
export function buildNewEvent(
  received: ReceivedWebhook,
  outcome: VerifyOutcome,
  context: NewEventContext,
): NewEvent {
  const { source, rawBody, headers, now: receivedAt } = received
  const flags: string[] = []
  const verification = verificationOf(outcome, source, flags)
  const form = mediaTypeOf(headers['content-type']) === 'form'
  const body = parseBody(rawBody, form, source)
  const hint = source.isGhl ? received.segment : undefined
  const { fields, webhookId, dedupeKey } = classify(source, body, form, hint, headers, outcome, flags)
  if (context.ghlTimestampWindowMs !== null && source.isGhl && fields.sentAt !== null) {
    if (Math.abs(receivedAt - Date.parse(fields.sentAt)) > context.ghlTimestampWindowMs) {
      flags.push('timestamp_outside_window')
    }
  }
  const contentHash = contentHashOf(rawBody)

  const event: NewEvent = {
    id: newId('evt', receivedAt),
    source: source.id,
    // No sender id: identical bytes are the same event (GHL retries send the same payload).
    dedupeKey: dedupeKey ?? contentHash,
    webhookId,
    receivedAt,
    contentType: headers['content-type'] ?? '',
    headers: keptHeaders(source, headers),
    rawBody,
    contentHash,
    verification,
    flags,
    eventHint: hint ?? null,
    traceParent: received.traceParent ?? null,
    traceState: received.traceState ?? null,
    ...fields,
    deliveries: [],
  }
  let subscribers = context.registry.list()
  const gone = context.ghlUninstalled
  if (gone && source.isGhl && event.locationId !== null && gone.has(event.locationId)) {
    flags.push('location_uninstalled')
    if (!gone.deliver) subscribers = subscribers.filter((s) => s.id === gone.keep)
  }
  if (subscribers.length) {
    const type = publishedType(event, context.types)
    event.deliveries = planDeliveries({ source: source.id, type, event, body }, subscribers, receivedAt)
  }
  return event
}

/** A failed signature is refused, unless the source stores such requests flagged `unverified`. */
function verificationOf(outcome: VerifyOutcome, source: SourceRuntime, flags: string[]): Verification {
  if (outcome.ok) return { scheme: outcome.scheme, verified: outcome.scheme !== 'none', keyId: outcome.keyId }
  if (!source.acceptUnverified) throw new GatewayError(outcome.code, outcome.message)
  flags.push('unverified')
  return { scheme: outcome.scheme, verified: false, failure: outcome.code }
}

function parseBody(rawBody: Buffer, form: boolean, source: SourceRuntime): unknown {
  const body = form ? parseFormBody(rawBody) : parseJsonBody(rawBody)
  if (source.isGhl && (typeof body !== 'object' || body === null)) {
    throw new GatewayError('invalid_payload', 'a GHL webhook body must be a JSON object or array')
  }
  return body
}

function classify(
  source: SourceRuntime,
  body: unknown,
  form: boolean,
  hint: string | undefined,
  headers: IncomingHttpHeaders,
  outcome: VerifyOutcome,
  flags: string[],
): ClassifiedBody {
  if (source.isGhl) return classifyGhl(body, hint, flags)
  return classifyOther(
    source,
    body,
    form,
    {
      headerId: source.idHeader ? headerText(headers[source.idHeader]) : undefined,
      verifiedId: outcome.ok ? outcome.senderEventId : undefined,
      signedAt: outcome.ok ? outcome.signedAt : undefined,
    },
    flags,
  )
}

function headerText(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined
}

function keptHeaders(source: SourceRuntime, headers: IncomingHttpHeaders): Record<string, string> {
  const kept: Record<string, string> = {}
  for (const name of source.keptHeaders) {
    const value = headers[name]
    if (typeof value === 'string') kept[name] = value.length > 512 ? `${value.slice(0, 512)}…` : value
  }
  // Signatures and tokens are credentials (a token replayed is a token stolen): keep a fingerprint
  // that tells two values apart without revealing either.
  for (const name of source.verifier.credentialHeaders) {
    const value = headers[name]
    if (typeof value === 'string') kept[name] = fingerprint(value)
  }
  return kept
}
