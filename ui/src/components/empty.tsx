import { API_BASE } from '../api.js'

/** What to do when there is nothing to show yet: where webhooks go and how to send one. */
export function NoEventsYet({ filtered }: { filtered: boolean }) {
  if (filtered) return <p class="empty">No event matches these filters. Clear a filter to see more.</p>
  const origin = window.location.origin
  const webhookUrl = `${origin}${API_BASE.slice(0, -4)}webhooks/ghl`
  return (
    <div class="empty">
      <h2>No events yet</h2>
      <p>
        Point your GoHighLevel app's <em>Default Webhook URL</em> at this gateway (behind TLS in production):
      </p>
      <pre class="text-block">{webhookUrl}</pre>
      <p>Or send a signed sample event from the catalog with the CLI:</p>
      <pre class="text-block">{`npx ghl-gateway send ContactCreate --to ${webhookUrl}`}</pre>
      <p>Check that the URL is reachable from outside (GHL's readiness check):</p>
      <pre class="text-block">{`curl ${webhookUrl}/verify`}</pre>
      <p>Events appear here as they arrive.</p>
    </div>
  )
}
