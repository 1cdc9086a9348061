import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Prometheus metrics, one registry per gateway instance (tests run several in one process).
 * Label values are bounded: sources come from configuration, outcomes and reasons from the error
 * catalog, schemes from the verifier list.
 */
export function createMetrics() {
  const registry = new Registry()
  const statsSource: { current?: () => Promise<{ deadDeliveries: number; oldestDueSeconds: number }> } = {}
  /** SQLite's checkpoint thread, when the store has one (see store/sqlite/checkpointer.ts). */
  const checkpointSource: {
    current?: () => { walFrames: number; pauseMsTotal: number; failures: number } | undefined
  } = {}
  /** The HTTP server's connection tracker (receive/connections.ts): open connections. */
  const connectionsSource: { current?: () => number } = {}
  /** GHL tokens per status (store.countGhlTokensByStatus), when the store is there. */
  const ghlTokenStatusSource: { current?: () => Promise<Record<string, number>> } = {}
  const ghlDailyPausedSource: { current?: () => number } = {}
  /** Occurrences waiting in operational-event summaries (receive/operational-events.ts). */
  const operationalPendingSource: { current?: () => number } = {}
  // Counters fed from the checkpointer's running totals: each scrape adds what is new.
  const seen = { pauseMs: 0, failures: 0 }
  collectDefaultMetrics({ register: registry, prefix: 'ghl_gateway_' })
  // Both store-backed gauges share one query per scrape.
  let cached: { at: number; stats: ReturnType<NonNullable<typeof statsSource.current>> } | undefined
  const scrapeStats = () => {
    if (!statsSource.current) return undefined
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), stats: statsSource.current() }
    return cached.stats
  }

  let ghlTokenCounts: { at: number; counts: Promise<Record<string, number>> } | undefined

  const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

  return {
    registry,
    webhooks: new Counter({
      name: 'ghl_gateway_webhooks_total',
      help: 'Webhook requests by source and outcome (accepted, duplicate, rejected).',
      labelNames: ['source', 'outcome'] as const,
      registers: [registry],
    }),
    rejected: new Counter({
      name: 'ghl_gateway_webhooks_rejected_total',
      help: 'Rejected webhook requests by source and error code.',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    unverified: new Counter({
      name: 'ghl_gateway_webhooks_unverified_total',
      help: 'Webhooks accepted without a valid signature because signature checks are off.',
      labelNames: ['source'] as const,
      registers: [registry],
    }),
    classified: new Counter({
      name: 'ghl_gateway_events_classified_total',
      help: 'Accepted GHL events by catalog name (or unknown) and schema status (valid, drift, unknown).',
      labelNames: ['name', 'schema'] as const,
      registers: [registry],
    }),
    verifySeconds: new Histogram({
      name: 'ghl_gateway_verify_seconds',
      help: 'Time spent verifying a signature.',
      labelNames: ['scheme'] as const,
      buckets: [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005],
      registers: [registry],
    }),
    ackSeconds: new Histogram({
      name: 'ghl_gateway_ack_seconds',
      help: 'From the request arriving to the answer, by outcome.',
      labelNames: ['outcome'] as const,
      buckets: latencyBuckets,
      registers: [registry],
    }),
    commitBatchSize: new Histogram({
      name: 'ghl_gateway_commit_batch_size',
      help: 'Events written per group-commit transaction.',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
      registers: [registry],
    }),
    commitSeconds: new Histogram({
      name: 'ghl_gateway_commit_seconds',
      help: 'Duration of one group-commit transaction.',
      buckets: latencyBuckets,
      registers: [registry],
    }),
    backlog: new Gauge({
      name: 'ghl_gateway_queue_depth',
      help: 'Open deliveries (pending, leased, waiting for a retry): what back-pressure watches.',
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'ghl_gateway_delivery_attempts_total',
      help: "Delivery attempts by subscriber and what followed (succeeded, retry_scheduled, deferred by GHL's rate limit, dead).",
      labelNames: ['subscriber', 'outcome'] as const,
      registers: [registry],
    }),
    attemptSeconds: new Histogram({
      name: 'ghl_gateway_processing_seconds',
      help: 'Duration of one delivery attempt (handler run or HTTP request), by outcome.',
      labelNames: ['outcome'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    destinationResponses: new Counter({
      name: 'ghl_gateway_destination_responses_total',
      help: 'HTTP delivery attempts by destination and result: 2xx, 3xx, 4xx, 5xx, timeout, network, refused (SSRF guard), auth (OAuth token).',
      labelNames: ['destination', 'class'] as const,
      registers: [registry],
    }),
    destinationCircuit: new Gauge({
      name: 'ghl_gateway_destination_circuit_state',
      help: 'Circuit breaker of each destination in this process: 0 closed, 1 half-open (probing), 2 open.',
      labelNames: ['destination'] as const,
      registers: [registry],
    }),
    destinationProbeRequests: new Counter({
      name: 'ghl_gateway_destination_probe_requests_total',
      help: 'Probe requests for a destination circuit breaker made through this process: manual ("probe now") or replay (deliveries replayed into it).',
      labelNames: ['destination', 'reason'] as const,
      registers: [registry],
    }),
    destinationState: new Gauge({
      name: 'ghl_gateway_destination_state',
      help: 'Destinations by state: 1 for the state each is in (active, paused, disabled), 0 for the others.',
      labelNames: ['destination', 'state'] as const,
      registers: [registry],
    }),
    handlerStartDelay: new Histogram({
      name: 'ghl_gateway_ack_to_start_seconds',
      help: 'From the event being stored (acked) to the first attempt of a delivery starting.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    dead: new Gauge({
      name: 'ghl_gateway_dead_deliveries',
      help: 'Deliveries in the dead-letter queue.',
      registers: [registry],
      collect() {
        // A database outage must not fail the whole scrape: the gauge keeps its last value.
        return scrapeStats()?.then(
          (s) => this.set(s.deadDeliveries),
          () => {},
        )
      },
    }),
    oldestDue: new Gauge({
      name: 'ghl_gateway_oldest_due_seconds',
      help: 'How long the oldest due, unclaimed delivery has been waiting.',
      registers: [registry],
      collect() {
        return scrapeStats()?.then(
          (s) => this.set(s.oldestDueSeconds),
          () => {},
        )
      },
    }),
    sqliteWalFrames: new Gauge({
      name: 'ghl_gateway_sqlite_wal_frames',
      help: 'Pages in the SQLite WAL at the last checkpoint (it starts over past 4,096).',
      registers: [registry],
      collect() {
        const stats = checkpointSource.current?.()
        if (stats) this.set(stats.walFrames)
      },
    }),
    sqliteWritePause: new Counter({
      name: 'ghl_gateway_sqlite_write_pause_seconds_total',
      help: 'Time SQLite writes waited for a catch-up checkpoint so the WAL could start over.',
      registers: [registry],
      collect() {
        const stats = checkpointSource.current?.()
        if (!stats) return
        this.inc((stats.pauseMsTotal - seen.pauseMs) / 1000)
        seen.pauseMs = stats.pauseMsTotal
      },
    }),
    sqliteCheckpointFailures: new Counter({
      name: 'ghl_gateway_sqlite_checkpoint_failures_total',
      help: 'SQLite checkpoints that failed (e.g. a full disk); the next writes retry them.',
      registers: [registry],
      collect() {
        const stats = checkpointSource.current?.()
        if (!stats) return
        this.inc(stats.failures - seen.failures)
        seen.failures = stats.failures
      },
    }),
    httpConnections: new Gauge({
      name: 'ghl_gateway_http_connections',
      help: 'Open HTTP connections of this process (capped by MAX_CONNECTIONS).',
      registers: [registry],
      collect() {
        const open = connectionsSource.current?.()
        if (open !== undefined) this.set(open)
      },
    }),
    connectionsDropped: new Counter({
      name: 'ghl_gateway_http_connections_dropped_total',
      help: 'New connections closed at once because MAX_CONNECTIONS connections were open.',
      registers: [registry],
    }),
    ghlTokenRefreshes: new Counter({
      name: 'ghl_gateway_ghl_token_refreshes_total',
      help: "GHL token refreshes by outcome: refreshed; invalid_grant (the location must install the app again); failed (GHL or the network; retried within GHL's 30 s grace).",
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    // GHL rate limits (src/ghl/shared-rate-limiter.ts).
    ghlRateLimitWaits: new Counter({
      name: 'ghl_gateway_ghl_rate_limit_waits_total',
      help: "GHL calls that found this app's limit for their location or company reached, by window: burst (GHL_RATE_LIMIT_BURST per GHL_RATE_LIMIT_WINDOW, or a 429) or daily; each waited for a slot or was retried later.",
      labelNames: ['window'] as const,
      registers: [registry],
    }),
    ghlRateLimitDailyPaused: new Gauge({
      name: 'ghl_gateway_ghl_rate_limit_daily_paused',
      help: "Locations or companies whose GHL calls this process found paused on the daily limit, until GHL's day resets (UTC).",
      registers: [registry],
      collect() {
        this.set(ghlDailyPausedSource.current?.() ?? 0)
      },
    }),
    /** Where the daily-paused gauge reads from on each scrape (the GHL rate limiter). */
    ghlDailyPausedSource,
    // GHL API calls (ghl/api-client.ts): operation is a typed helper's name or `request`, never an id.
    ghlApiCalls: new Counter({
      name: 'ghl_gateway_ghl_api_calls_total',
      help: 'GHL API calls by status class (2xx, 3xx, 401, 429, 4xx, 5xx, error = no answer) and operation (a typed helper such as contacts.addNote, or request).',
      labelNames: ['status_class', 'operation'] as const,
      registers: [registry],
    }),
    ghlApiCallSeconds: new Histogram({
      name: 'ghl_gateway_ghl_api_call_seconds',
      help: 'Duration of one GHL API call (token and rate-limit waits excluded), by operation.',
      labelNames: ['operation'] as const,
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15],
      registers: [registry],
    }),
    // GHL tokens by status (g-pit). One GROUP BY over ghl_tokens (a row per installed location, not
    // per event) read from the covering index ghl_tokens_status; cached 5 s so scrapes from several
    // Prometheus servers cost one. Measured in docs/ghl-apps.md ("When a location needs re-authorising").
    ghlTokens: new Gauge({
      name: 'ghl_gateway_ghl_tokens',
      help: 'GHL tokens (OAuth and Private Integration) by status: active; needs_reauth (a location must install the app again, or set a new Private Integration Token); revoked (uninstalled).',
      labelNames: ['status'] as const,
      registers: [registry],
      collect() {
        const source = ghlTokenStatusSource.current
        if (!source) return
        if (!ghlTokenCounts || Date.now() - ghlTokenCounts.at > 5000)
          ghlTokenCounts = { at: Date.now(), counts: source() }
        // A database outage must not fail the whole scrape: the gauge keeps its last values.
        return ghlTokenCounts.counts.then(
          (counts) => {
            for (const [status, n] of Object.entries(counts)) this.set({ status }, n)
          },
          () => {},
        )
      },
    }),
    // Operational events (receive/operational-events.ts); `type` is one of the catalogued gateway.… types.
    operationalOccurrences: new Counter({
      name: 'ghl_gateway_operational_occurrences_total',
      help: 'Things the gateway reported about itself (a dead letter, a circuit opened…), before coalescing, by operational event type.',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    operationalEvents: new Counter({
      name: 'ghl_gateway_operational_events_total',
      help: "Operational events handed to the store, by type, kind (first: a window's first occurrence; summary: the rest of it) and outcome (accepted; duplicate: another process stored that window's first; failed: not stored, logged).",
      labelNames: ['type', 'kind', 'outcome'] as const,
      registers: [registry],
    }),
    operationalDropped: new Counter({
      name: 'ghl_gateway_operational_occurrences_dropped_total',
      help: 'Occurrences not counted at all because too many (type, subject) pairs were tracked at once (1,000).',
      labelNames: ['type'] as const,
      registers: [registry],
    }),
    operationalPending: new Gauge({
      name: 'ghl_gateway_operational_occurrences_pending',
      help: 'Occurrences counted for summaries not stored yet: their window has not ended, or OPERATIONAL_EVENTS_PER_MINUTE holds them back.',
      registers: [registry],
      collect() {
        this.set(operationalPendingSource.current?.() ?? 0)
      },
    }),
    /** Where the pending operational occurrences gauge reads from on each scrape. */
    operationalPendingSource,
    /** Where the GHL token gauge reads from on each scrape. */
    ghlTokenStatusSource,
    /** Where the dead and oldest-due gauges read from on each scrape. */
    statsSource,
    /** Where the SQLite checkpoint metrics read from on each scrape. */
    checkpointSource,
    /** Where the open-connections gauge reads from on each scrape. */
    connectionsSource,
  }
}

export type Metrics = ReturnType<typeof createMetrics>
