-- OpenTelemetry (src/observe/tracing.ts). The W3C `traceparent` of the span that received an event
-- (or the sender's own when no tracing SDK is registered): attempt spans link to it, hours later.
-- Nullable, no default: existing rows read as "no trace", and the ALTER rewrites nothing.
ALTER TABLE events ADD COLUMN trace_parent TEXT;
-- The trace an attempt ran in (the trace id of the `traceparent` a destination received), so
-- `dlq show` and the console can point at it in a trace store.
ALTER TABLE attempts ADD COLUMN trace_id TEXT;
