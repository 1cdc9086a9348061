import type { ComponentChildren } from 'preact'

/** Small pieces every page uses. Everything from the API is rendered as text (JSX escapes it). */

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state.replace(/[^a-z_]/g, '')}`}>{state.replace(/_/g, ' ')}</span>
}

export function ErrorNote({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p class="error" role="alert">
      {message}
    </p>
  )
}

/** What an action did, announced to screen readers. */
export function Notice({ message }: { message: string | null }) {
  if (!message) return null
  return (
    <p class="notice" role="status">
      {message}
    </p>
  )
}

export function Loading() {
  return (
    <p class="muted" aria-live="polite">
      Loading…
    </p>
  )
}

/** A term/definition list: `[['Source', 'ghl'], …]`. */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {rows.map(([term, value]) => (
        <div key={term}>
          <dt>{term}</dt>
          <dd>{value ?? <span class="muted">—</span>}</dd>
        </div>
      ))}
    </dl>
  )
}

/** Text from outside (payloads, responses, errors), shown exactly as text; `label` names it. */
export function TextBlock({ text, label }: { text: string; label: string }) {
  return (
    <section aria-label={label} class="text-section">
      <pre class="text-block">{text}</pre>
    </section>
  )
}
