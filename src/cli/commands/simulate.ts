import type { Command } from 'commander'
import { UsageError } from '../errors.js'
import {
  choiceOption,
  defaultWebhookUrl,
  durationOption,
  integerOption,
  numberOption,
  parseHttpUrl,
  urlOption,
} from '../options.js'
import { loadSigner, SIGN_SCHEMES, type SignScheme } from '../signing.js'
import { runSimulation } from '../simulate/engine.js'
import { DEFAULT_MIX, parseMix } from '../simulate/mix.js'
import { POLICY_NAMES, type PolicyName, retryPolicy, seededRandom } from '../simulate/policy.js'
import { formatReport, isClean } from '../simulate/report.js'
import { createProgress } from '../ui/progress.js'
import { styleFor } from '../ui/style.js'

interface SimulateFlags {
  to?: URL
  perEventUrls?: boolean
  events: number
  rate: number
  policy: PolicyName
  duplicates: number
  mix: string
  timeScale: number
  concurrency: number
  timeout?: number
  deadline?: number
  sign?: SignScheme
  key?: string
  seed?: number
  json?: boolean
}

const DEFAULT_TIME_SCALE = 3600

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description(
      "Behave like GHL: a realistic event mix at a steady rate, duplicates, and GHL's retry policy.",
    )
    .option(
      '--to <url>',
      'webhook URL to deliver to, any endpoint (default http://127.0.0.1:$PORT/webhooks/ghl)',
      urlOption('--to'),
    )
    .option(
      '--per-event-urls',
      'append /<EventName> for events whose body does not name them (default only without --to)',
    )
    .option('-e, --events <n>', 'distinct events to send', integerOption(1, 1_000_000), 1000)
    .option(
      '-r, --rate <r>',
      'first deliveries per second (open loop)',
      numberOption(0, 100_000, { exclusiveMin: true }),
      100,
    )
    .option(
      '--policy <policy>',
      'retry policy applied to the answers: ghl-2026, ghl-2025 or none',
      choiceOption(POLICY_NAMES),
      'ghl-2026',
    )
    .option(
      '--duplicates <percent>',
      'extra deliveries re-sending an already-sent event (same webhookId), % of events',
      numberOption(0, 100),
      0,
    )
    .option('--mix <weights>', 'event mix: category=weight, EventName=weight, other=weight', DEFAULT_MIX)
    .option(
      '--time-scale <x>',
      'divide retry delays by this (1 = real GHL timings)',
      numberOption(0, 1e9, { exclusiveMin: true }),
      DEFAULT_TIME_SCALE,
    )
    .option('-c, --concurrency <c>', 'most requests in flight', integerOption(1, 10_000), 256)
    .option(
      '--timeout <duration>',
      'per-attempt deadline; no answer in time counts as no answer (default 10s)',
      durationOption,
    )
    .option(
      '--deadline <duration>',
      "hard limit for the whole run (default: sending time + the policy's retry window + margin)",
      durationOption,
    )
    .option('--sign <scheme>', "ed25519, rsa or none (default: the key's kind)", choiceOption(SIGN_SCHEMES))
    .option('--key <file>', 'private key (PEM) (env GHL_SIGNING_KEY, default .ghl-gateway/keys/ed25519.pem)')
    .option('--seed <n>', 'seed for the event mix, duplicate picks and jitter', integerOption(0, 2 ** 32 - 1))
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Policies (GHL's retry policies, as its webhook guides describe them):
  ghl-2026  any non-2xx or no answer is retried, up to 12 times, exponential backoff + jitter
            (modelled as 10 s doubling, capped at 1 h, +≤10 %: about 4.4 h in all)
  ghl-2025  only 429 is retried, about every 10 minutes (+5–120 s), up to 6 times;
            any other answer is final: GHL drops the webhook
  none      one attempt
--time-scale ${DEFAULT_TIME_SCALE} (the default) turns an hour of GHL retry delays into one second.
--duplicates P delivers P % more webhooks that copy one of the last 1000 events byte for byte
(same webhookId, same signature), as GHL does now and then; --rate paces them with the rest.

Categories for --mix: contact, opportunity, appointment, message, conversation, note, task,
invoice, order, product, price, record, … (\`ghl-gateway send --list\`). Default:
  ${DEFAULT_MIX}

The report: events sent, acknowledged (2xx), duplicates and how they were answered, retries,
what GHL would have dropped, status codes, latency p50/p90/p99/max. Exit code 0 when every event
was acknowledged, 1 otherwise (dropped, unfinished at the deadline, interrupted), 2 for usage errors.

Examples:
  $ ghl-gateway simulate --events 10000 --rate 500
  $ ghl-gateway simulate --events 300 --rate 200 --duplicates 10 --policy ghl-2026
  $ ghl-gateway simulate --to https://example.com/hooks/ghl --policy ghl-2025 --sign none
  $ ghl-gateway simulate --mix contact=60,opportunity=30,other=10 --json

Environment: PORT (default target), GHL_SIGNING_KEY (private key path).`,
    )
    .action(async (flags: SimulateFlags) => {
      const timeoutMs = flags.timeout ?? 10_000
      const mix = parseMix(flags.mix)
      const policy = retryPolicy(flags.policy)
      const signer = loadSigner({ scheme: flags.sign, keyPath: flags.key })
      const target = flags.to ?? parseHttpUrl(defaultWebhookUrl(), 'the default URL')
      const perEventUrls = flags.perEventUrls ?? flags.to === undefined
      if (flags.to && flags.perEventUrls === undefined && !flags.json) {
        console.error(
          'note: every event goes to --to as given; add --per-event-urls to send Invoice*, Product*, … to <url>/<EventName>',
        )
      }
      const slots = flags.events * (1 + flags.duplicates / 100)
      const deadlineMs =
        flags.deadline ??
        Math.round(
          (slots / flags.rate) * 1500 +
            policy.maxTotalDelayMs / flags.timeScale +
            (policy.maxRetries + 1) * timeoutMs +
            30_000,
        )
      if (deadlineMs <= 0) throw new UsageError('--deadline must be longer than 0')

      const style = styleFor(process.stdout)
      const bar = createProgress({ total: Math.round(slots), label: 'simulate' })
      const abort = new AbortController()
      const onSigint = () => {
        console.error('\ninterrupted: stopping and reporting what was done (Ctrl-C again to quit at once)')
        abort.abort()
      }
      process.once('SIGINT', onSigint)
      try {
        const report = await runSimulation({
          target,
          perEventUrls,
          events: flags.events,
          rate: flags.rate,
          policy,
          duplicatesPct: flags.duplicates,
          mix,
          timeScale: flags.timeScale,
          concurrency: flags.concurrency,
          timeoutMs,
          deadlineMs,
          signer,
          random: flags.seed === undefined ? Math.random : seededRandom(flags.seed),
          signal: abort.signal,
          onProgress: (p) =>
            bar.update(
              p.started,
              `acked ${p.acknowledged} · in flight ${p.inFlight} · retry wait ${p.waitingRetry}`,
            ),
        })
        bar.done()
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatReport(report, style))
        process.exitCode = isClean(report) ? 0 : 1
      } finally {
        bar.done()
        process.removeListener('SIGINT', onSigint)
      }
    })
}
