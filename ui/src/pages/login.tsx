import { useState } from 'preact/hooks'
import type { LoginAnswerJson, LoginRequestJson } from '../../../src/api/schemas/index.js'
import { ApiError, api, messageOf } from '../api.js'

/**
 * The login form: the admin token buys a session cookie (POST /api/session). The token is sent
 * once and never kept by the console; the cookie is HttpOnly.
 */
export function Login({ onLogin }: { onLogin: (session: LoginAnswerJson) => void }) {
  const [token, setToken] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)

  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError(null)
    try {
      const body: LoginRequestJson = { token }
      const session = await api<LoginAnswerJson>('session', {
        method: 'POST',
        body,
        quietUnauthorized: true,
      })
      setToken('')
      onLogin(session)
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401)
        setError('That admin token is not valid. Check ADMIN_TOKEN on the gateway and try again.')
      else setError(messageOf(caught))
    } finally {
      setBusy(false)
    }
  }

  return (
    <main class="login">
      <h1>ghl-gateway console</h1>
      <form onSubmit={submit}>
        <label for="admin-token">Admin token</label>
        <input
          id="admin-token"
          name="token"
          type="password"
          autocomplete="current-password"
          required
          value={token}
          onInput={(event) => setToken((event.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
      <p class="muted">The token is the gateway's ADMIN_TOKEN. It starts a session in this browser.</p>
    </main>
  )
}

/** Shown when the gateway has no ADMIN_TOKEN: the admin API, and so the console, is off. */
export function AdminDisabled() {
  return (
    <main class="login">
      <h1>ghl-gateway console</h1>
      <p role="alert">
        The admin API is disabled on this gateway. Set ADMIN_TOKEN in its environment and restart it to use
        the console.
      </p>
    </main>
  )
}
