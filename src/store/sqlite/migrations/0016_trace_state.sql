-- OpenTelemetry (src/observe/tracing.ts). The W3C `tracestate` (vendor data) that came with the
-- event's `trace_parent`: whoever propagates a traceparent should propagate its tracestate, so
-- destinations get it next to the traceparent and a first attempt span inherits it. Null without
-- a trace_parent (the spec ignores a tracestate alone) and when the sender sent none or an invalid one.
-- Nullable, no default: existing rows read as "no vendor data", and the ALTER rewrites nothing.
ALTER TABLE events ADD COLUMN trace_state TEXT;
