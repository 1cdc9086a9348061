import type { GhlRateState } from './ghl-rate-window.js'
import type { GhlTokenOwner } from './ghl-token-store.js'

/** ghl_rate_windows rows ↔ `GhlRateState`, shared by both stores (times are unix ms in both). */
export const GHL_RATE_WINDOW_COLUMNS =
  'calls, day_start, day_calls, paused_until, paused_window, ghl_burst, ghl_window_ms, ghl_daily'

type Row = Record<string, unknown>

/** node-pg hands bigint columns back as text: every number goes through Number(). */
const numberOrNull = (value: unknown) => (value === null || value === undefined ? null : Number(value))

export function rowToGhlRateState(row: Row): GhlRateState {
  return {
    calls: JSON.parse(row.calls as string) as number[],
    dayStart: Number(row.day_start),
    dayCalls: Number(row.day_calls),
    pausedUntil: numberOrNull(row.paused_until),
    pausedWindow: (row.paused_window as GhlRateState['pausedWindow']) ?? null,
    ghlBurst: numberOrNull(row.ghl_burst),
    ghlWindowMs: numberOrNull(row.ghl_window_ms),
    ghlDaily: numberOrNull(row.ghl_daily),
  }
}

/** The values of an upsert, in the order of `GHL_RATE_WINDOW_UPSERT`'s placeholders. */
export function ghlRateWindowValues(owner: GhlTokenOwner, state: GhlRateState, now: number): unknown[] {
  return [
    owner.appId,
    owner.userType,
    owner.ownerId,
    JSON.stringify(state.calls),
    state.dayStart,
    state.dayCalls,
    state.pausedUntil,
    state.pausedWindow,
    state.ghlBurst,
    state.ghlWindowMs,
    state.ghlDaily,
    now,
  ]
}

/** Same text on both stores but for the placeholders: `?` (SQLite) or `$n` (PostgreSQL). */
export function ghlRateWindowUpsert(placeholder: (n: number) => string): string {
  const values = Array.from({ length: 12 }, (_, i) => placeholder(i + 1)).join(', ')
  return `INSERT INTO ghl_rate_windows (app_id, user_type, owner_id, ${GHL_RATE_WINDOW_COLUMNS}, updated_at)
    VALUES (${values})
    ON CONFLICT (app_id, user_type, owner_id) DO UPDATE SET
      calls = excluded.calls, day_start = excluded.day_start, day_calls = excluded.day_calls,
      paused_until = excluded.paused_until, paused_window = excluded.paused_window,
      ghl_burst = excluded.ghl_burst, ghl_window_ms = excluded.ghl_window_ms,
      ghl_daily = excluded.ghl_daily, updated_at = excluded.updated_at`
}
