import { useState } from 'preact/hooks'
import type { CatalogEntryDetailJson, CatalogSendAnswerJson } from '../../../src/api/schemas/index.js'
import { api, messageOf } from '../api.js'
import { href, navigate } from '../router.js'
import { ErrorNote, TextBlock } from './common.js'

/**
 * "Send this sample to this gateway" on a catalog event's page: the gateway signs the sample with
 * CONSOLE_SAMPLE_SIGNING_KEY and takes it through its own webhook route; the console then opens the
 * stored event. Without the setting, how to turn it on.
 */
export function SendSample({
  name,
  sending,
}: {
  name: string
  sending: CatalogEntryDetailJson['sampleSending']
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (!sending.enabled) {
    return (
      <div class="empty">
        <p>
          To send this sample to this gateway from here, set <code>CONSOLE_SAMPLE_SIGNING_KEY</code> to a
          private key file whose public key the gateway trusts, and restart. For example:
        </p>
        <TextBlock
          label="Enabling sample sends"
          text={
            'ghl-gateway keys generate\n' +
            'GHL_ED25519_PUBLIC_KEYS=.ghl-gateway/keys/ed25519.pub.pem \\\n' +
            'CONSOLE_SAMPLE_SIGNING_KEY=.ghl-gateway/keys/ed25519.pem ghl-gateway serve'
          }
        />
        <p>
          Or from a shell, without it: <code>ghl-gateway send {name}</code>
        </p>
      </div>
    )
  }
  const send = async () => {
    setBusy(true)
    setError(null)
    try {
      const answer = await api<CatalogSendAnswerJson>(`catalog/${encodeURIComponent(name)}/send`, {
        method: 'POST',
      })
      navigate(href(`events/${encodeURIComponent(answer.eventId)}`))
    } catch (caught) {
      setError(messageOf(caught))
      setBusy(false)
    }
  }
  return (
    <div class="actions">
      <ErrorNote message={error} />
      <button type="button" onClick={send} disabled={busy}>
        Send this sample to this gateway
      </button>
      <span class="muted">
        Signed with {sending.keyId}, with a new webhookId; verified, stored and delivered like any webhook.
      </span>
    </div>
  )
}
