import type { EventDeliveryJson, EventDetailJson, ReplayAnswerJson } from '../../../src/api/schemas/index.js'
import { api } from '../api.js'
import { curlOf, sendCommandOf } from '../commands.js'
import { AttemptsTable } from '../components/attempts.js'
import { ErrorNote, Facts, Loading, Notice, StateBadge, TextBlock } from '../components/common.js'
import { CopyButton } from '../components/copy.js'
import { useResource } from '../resource.js'
import { href, Link } from '../router.js'
import { Time } from '../time.js'
import { TenantLink } from './locations.js'

/**
 * /ui/events/:id — one event: its exact bytes, the parsed body, kept headers, verification,
 * classification, duplicates, and every delivery with every attempt. The body was written by
 * whoever sent the webhook: it is shown as text, never as markup.
 */

/** The raw bytes as text: UTF-8, with any invalid byte shown as U+FFFD. */
export function rawText(base64: string): string {
  const binary = atob(base64)
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0))
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes)
}

export function EventDetailPage({ id }: { id: string }) {
  const { data: event, error, notice, act } = useResource<EventDetailJson>(`events/${encodeURIComponent(id)}`)
  const replayAll = () =>
    act(async () => {
      const answer = await api<ReplayAnswerJson>('replay', { method: 'POST', body: { eventId: id } })
      return (
        `Replayed ${answer.replayed} ${answer.replayed === 1 ? 'delivery' : 'deliveries'}` +
        (answer.added ? `, and ${answer.added} new for subscribers added since` : '') +
        '.'
      )
    })

  const replayOne = (delivery: EventDeliveryJson) =>
    act(async () => {
      const answer = await api<ReplayAnswerJson>('replay', {
        method: 'POST',
        body: { deliveryId: delivery.id },
      })
      return answer.replayed ? `Replayed the delivery to ${delivery.subscriber}.` : 'Nothing to replay.'
    })

  if (error && !event) return <ErrorNote message={error} />
  if (!event) return <Loading />
  const raw = rawText(event.rawBody)
  const parsed = event.body === null ? null : JSON.stringify(event.body, null, 2)
  const send = sendCommandOf(event, raw)
  const { entity } = event
  const timeline =
    entity.kind && entity.id
      ? href(`entities/${encodeURIComponent(entity.kind)}/${encodeURIComponent(entity.id)}`)
      : null
  const skew = event.sentAt === null ? Number.NaN : Date.parse(event.receivedAt) - Date.parse(event.sentAt)
  const headers = Object.entries(event.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')

  return (
    <article>
      <p class="crumbs">
        <Link href={href('events')}>Events</Link> / {event.id}
      </p>
      <h1>
        {event.name ?? event.type} <span class="muted">{event.type}</span>
      </h1>
      <ErrorNote message={error} />
      <Notice message={notice} />
      <div class="actions">
        <button type="button" onClick={replayAll}>
          Replay all deliveries
        </button>
        <CopyButton text={curlOf(event, raw)} label="Copy as curl" />
        {send && <CopyButton text={send} label="Copy as ghl-gateway send" />}
        {timeline && <Link href={timeline}>Timeline of this {entity.kind}</Link>}
      </div>

      <section>
        <h2>Summary</h2>
        <Facts
          rows={[
            ['Event id', event.id],
            ['Delivery status', <StateBadge key="s" state={event.deliveryStatus} />],
            ['Received', <Time key="r" iso={event.receivedAt} />],
            ['Occurred', event.occurredAt],
            ['Source', event.source],
            ['Webhook id', event.webhookId],
            [
              'Trace',
              event.traceId && (
                <code key="t" class="trace">
                  {event.traceId}
                </code>
              ),
            ],
            ['Location', event.tenant.locationId && <TenantLink key="l" id={event.tenant.locationId} />],
            ['Company', event.tenant.companyId && <TenantLink key="c" id={event.tenant.companyId} />],
            [
              'Entity',
              entity.id ? (
                timeline ? (
                  <Link key="e" href={timeline}>
                    {`${entity.kind} ${entity.id}`}
                  </Link>
                ) : (
                  entity.id
                )
              ) : null,
            ],
            [
              'Duplicates',
              event.duplicateCount === 0 ? (
                'none'
              ) : (
                <span key="d">
                  {event.duplicateCount} (last <Time iso={event.lastDuplicateAt} />)
                </span>
              ),
            ],
          ]}
        />
      </section>

      <section>
        <h2>Verification</h2>
        <Facts
          rows={[
            ['Scheme', event.verification.scheme],
            ['Verified', event.verification.verified ? 'yes' : 'no'],
            ['Key fingerprint', event.verification.keyId ?? null],
            ['Failure', event.verification.failure ?? null],
            [
              "Sender's timestamp",
              event.sentAt === null
                ? null
                : Number.isNaN(skew)
                  ? event.sentAt
                  : `${event.sentAt} (${timeSkew(skew)})`,
            ],
            [
              'Timestamp window',
              event.flags.includes('timestamp_outside_window')
                ? 'outside the window GHL_TIMESTAMP_WINDOW allows (flagged, still accepted)'
                : event.sentAt === null
                  ? null
                  : 'not flagged',
            ],
          ]}
        />
      </section>

      <section>
        <h2>The answer {event.name !== null ? 'GHL' : 'the sender'} got</h2>
        <p>
          <strong>{event.senderAnswer.status}</strong>
          {event.duplicateCount > 0
            ? `, and ${event.senderAnswer.status} to each of its ${event.duplicateCount} duplicates`
            : ''}
          . {event.name !== null && <span class="retry-policy">{event.senderAnswer.retryPolicy}</span>}
        </p>
      </section>

      <section>
        <h2>Classification</h2>
        <Facts
          rows={[
            ['GHL name', event.name],
            ['Body type', event.ghlType],
            ['Published type', event.type],
            ['Schema', event.schemaStatus],
            ['Matched by', event.classification?.matchedBy ?? null],
            ['Family', event.classification?.family ?? null],
            ['Flags', event.flags.length ? event.flags.join(', ') : null],
          ]}
        />
        {event.classification && event.classification.issues.length > 0 && (
          <>
            <h3>Schema drift</h3>
            <ul>
              {event.classification.issues.map((issue) => (
                <li key={issue.path}>
                  <code>{issue.path}</code>: {issue.message}
                </li>
              ))}
            </ul>
          </>
        )}
      </section>

      <section>
        <h2>Deliveries</h2>
        {event.deliveries.length === 0 ? (
          <p class="muted">No subscriber wanted this event: it has no delivery.</p>
        ) : (
          event.deliveries.map((delivery) => (
            <DeliveryBlock key={delivery.id} delivery={delivery} onReplay={() => replayOne(delivery)} />
          ))
        )}
      </section>

      <section>
        <h2>Body</h2>
        {event.bodyNote && <p class="muted">{event.bodyNote}</p>}
        {parsed !== null && (
          <>
            <div class="actions">
              <CopyButton text={parsed} label="Copy JSON" />
            </div>
            <TextBlock label="Parsed body" text={parsed} />
          </>
        )}
        <h3>
          Raw bytes as received ({event.bodyBytes} bytes, {event.contentType})
        </h3>
        <div class="actions">
          <CopyButton text={raw} label="Copy raw body" />
        </div>
        <TextBlock label="Raw body" text={raw} />
      </section>

      <section>
        <h2>Headers kept</h2>
        <p class="muted">Signatures and tokens are kept as fingerprints only.</p>
        {headers ? <TextBlock label="Headers" text={headers} /> : <p class="muted">None.</p>}
      </section>
    </article>
  )
}

/** `41 s after`, `2 min before`: how far the sender's clock was from the receipt. */
function timeSkew(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000)
  const amount = seconds < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`
  return `${amount} ${ms >= 0 ? 'before' : 'after'} it was received`
}

function DeliveryBlock({ delivery, onReplay }: { delivery: EventDeliveryJson; onReplay: () => void }) {
  return (
    <div class="delivery">
      <h3>
        <Link href={href(`deliveries/${encodeURIComponent(delivery.id)}`)}>{delivery.subscriber}</Link>{' '}
        <StateBadge state={delivery.state} />{' '}
        <button type="button" class="small" onClick={onReplay}>
          Replay to {delivery.subscriber}
        </button>
      </h3>
      <Facts
        rows={[
          ['Delivery', delivery.id],
          [
            'Attempts',
            `${delivery.attemptsInCycle} in cycle ${delivery.cycle}, ${delivery.totalAttempts} in all`,
          ],
          ['Last error', delivery.lastError],
          ['Next run', delivery.completedAt ? null : <Time key="n" iso={delivery.runAt} />],
          ['Completed', delivery.completedAt ? <Time key="c" iso={delivery.completedAt} /> : null],
        ]}
      />
      <AttemptsTable attempts={delivery.attemptHistory} caption={`Attempts to ${delivery.subscriber}`} />
    </div>
  )
}
