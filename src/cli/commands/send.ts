import { readFileSync } from 'node:fs'
import type { Command } from 'commander'
import { type AnyCatalogEntry, CATALOG } from '../../catalog/index.js'
import { UsageError } from '../errors.js'
import {
  applyEdits,
  buildEventBody,
  needsPerEventUrl,
  parseFieldEdit,
  perEventUrl,
  resolveEvent,
  webhookIdOf,
} from '../event-body.js'
import { type Answer, answerOutcome, createPoster } from '../http.js'
import {
  choiceOption,
  collect,
  defaultWebhookUrl,
  durationOption,
  integerOption,
  parseHttpUrl,
  urlOption,
} from '../options.js'
import { loadSigner, SIGN_SCHEMES, type Signer, type SignScheme } from '../signing.js'
import { statusColour, styleFor } from '../ui/style.js'
import { formatTable } from '../ui/table.js'

interface SendFlags {
  to?: URL
  set?: string[]
  data?: string
  count: number
  sign?: SignScheme
  key?: string
  json?: boolean
  list?: boolean
  timeout?: number
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('Send one GHL event, signed exactly as GHL signs it, to a gateway or any webhook URL.')
    .argument('[event]', 'GHL event name (ContactCreate) or canonical name (contact.created)')
    .option(
      '--to <url>',
      'where to post (default http://127.0.0.1:$PORT/webhooks/ghl, PORT default 3000)',
      urlOption('--to'),
    )
    .option(
      '--set <field=value>',
      'set a body field (dotted path; value parsed as JSON when it is JSON); repeatable',
      collect,
    )
    .option(
      '--data <file>',
      'send this JSON file as the body instead of the catalog fixture (bytes as they are)',
    )
    .option(
      '-n, --count <n>',
      'send N requests, each with a fresh webhookId and timestamp',
      integerOption(1, 100_000),
      1,
    )
    .option(
      '--sign <scheme>',
      'ed25519 (X-GHL-Signature), rsa (X-WH-Signature) or none',
      choiceOption(SIGN_SCHEMES),
    )
    .option(
      '--key <file>',
      'private key (PEM) to sign with (env GHL_SIGNING_KEY, default .ghl-gateway/keys/ed25519.pem)',
    )
    .option('--timeout <duration>', 'per-request deadline (default 10s)', durationOption)
    .option('--json', 'one JSON object per request (or the --list as JSON)')
    .option('--list', "list the catalog's events: doc name, canonical name, body type values")
    .addHelpText(
      'after',
      `
The body is the catalog's fixture for the event with a new webhookId and timestamp per request.
Events whose body does not name them (Invoice*, Product*, Record*, PriceUpdate, …) go to the
per-event URL /webhooks/ghl/<EventName>, as GHL's per-event webhook URLs would send them; with
--to the URL is used as given. --data sends the file byte for byte (repeat it with --count to
test duplicates); --set on top of --data re-serialises it.

Prints one line per request: status, accepted/duplicate or the error code, eventId, latency.
Exit code 0 when every request got a 2xx, 1 otherwise, 2 for usage errors.

Examples:
  $ ghl-gateway send ContactCreate
  $ ghl-gateway send contact.created --set email=jane@example.com --set 'tags=["vip"]'
  $ ghl-gateway send InvoicePaid                      # → /webhooks/ghl/InvoicePaid
  $ ghl-gateway send OpportunityCreate --count 20 --sign rsa
  $ ghl-gateway send ContactCreate --to https://webhook.site/<id> --sign none
  $ ghl-gateway send --list --json | jq length

Environment: PORT (default target), GHL_SIGNING_KEY (private key path).`,
    )
    .action(async (event: string | undefined, flags: SendFlags) => {
      if (flags.list) return printList(flags.json === true)
      if (event === undefined && flags.data === undefined) {
        throw new UsageError(
          'name an event, e.g. `ghl-gateway send ContactCreate` (`--list` lists them), or give --data <file>',
        )
      }
      const entry = event === undefined ? undefined : resolveEvent(event)
      const edits = (flags.set ?? []).map(parseFieldEdit)
      const data = flags.data === undefined ? undefined : readData(flags.data, edits)
      const signer = loadSigner({ scheme: flags.sign, keyPath: flags.key })
      const url = targetUrl(flags.to, entry)
      process.exitCode = await sendAll({ entry, edits, data, signer, url, flags })
    })
}

function targetUrl(to: URL | undefined, entry: AnyCatalogEntry | undefined): URL {
  if (to) {
    if (entry && needsPerEventUrl(entry) && !to.pathname.endsWith(`/${entry.name}`)) {
      console.error(
        `note: ${entry.name}'s body does not name the event; GHL posts it to a per-event URL (e.g. ${perEventUrl(to, entry).href})`,
      )
    }
    return to
  }
  const base = parseHttpUrl(defaultWebhookUrl(), 'the default URL')
  if (!entry || !needsPerEventUrl(entry)) return base
  const url = perEventUrl(base, entry)
  console.error(
    `${entry.name}'s body does not name the event (${entry.typeRole === 'none' ? 'no type' : `type is a price kind shared with another event`}), so it goes to its per-event URL ${url.href}`,
  )
  return url
}

function readData(file: string, edits: ReturnType<typeof parseFieldEdit>[]): Buffer {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch (error) {
    throw new UsageError(
      `cannot read --data ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'}); give a JSON file`,
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw new UsageError(`--data ${file} is not JSON; GHL webhooks are JSON objects (or arrays)`)
  }
  return edits.length ? Buffer.from(JSON.stringify(applyEdits(parsed, edits))) : bytes
}

interface SendPlan {
  entry: AnyCatalogEntry | undefined
  edits: ReturnType<typeof parseFieldEdit>[]
  data: Buffer | undefined
  signer: Signer
  url: URL
  flags: SendFlags
}

async function sendAll(plan: SendPlan): Promise<number> {
  const { flags, signer } = plan
  const style = styleFor(process.stdout)
  const poster = createPoster({ concurrency: 1, timeoutMs: flags.timeout ?? 10_000 })
  let failures = 0
  let last: Answer | undefined
  try {
    for (let n = 1; n <= flags.count; n++) {
      const body = plan.data ?? buildEventBody(plan.entry!, plan.edits)
      const headers = { 'content-type': 'application/json', ...signer.sign(body) }
      const answer = await poster.post(plan.url, headers, body)
      last = answer
      const ok = answer.status !== undefined && answer.status >= 200 && answer.status < 300
      if (!ok) failures++
      const { outcome, eventId, message } = answerOutcome(answer)
      const webhookId = webhookIdOf(safeParse(body))
      const latencyMs = Math.round(answer.latencyMs * 10) / 10
      if (flags.json) {
        console.log(
          JSON.stringify({
            n,
            url: plan.url.href,
            status: answer.status ?? null,
            outcome: outcome ?? (answer.error ? 'no_answer' : null),
            eventId,
            webhookId,
            event: plan.entry?.name ?? null,
            signature: signer.scheme,
            keyId: signer.keyId,
            latencyMs,
            ...(message ? { message } : {}),
            ...(answer.error ? { error: answer.error } : {}),
          }),
        )
        continue
      }
      const status = answer.status === undefined ? 'no answer' : String(answer.status)
      const what =
        outcome ?? (answer.error ? answer.error : answer.text.slice(0, 60).replace(/\s+/g, ' ') || '—')
      const parts = [statusColour(style, answer.status)(status), what, eventId ?? '', plan.entry?.name ?? '']
      if (webhookId) parts.push(style.dim(`webhookId ${webhookId}`))
      if (message) parts.push(style.dim(message))
      parts.push(`${latencyMs} ms`)
      console.log(parts.filter((p) => p !== '').join('  '))
    }
  } finally {
    poster.close()
  }
  if (failures && !flags.json && last) console.error(hint(last, plan))
  return failures ? 1 : 0
}

function safeParse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'))
  } catch {
    return undefined
  }
}

/** One sentence about the last failure: what to do next. */
function hint(answer: Answer, plan: SendPlan): string {
  const { outcome } = answerOutcome(answer)
  if (answer.status === undefined) {
    return `No answer from ${plan.url.origin}: start the gateway (\`npm start\` or \`ghl-gateway serve\`) or pass --to <url>.`
  }
  if (outcome === 'missing_signature') {
    return 'The target requires a signature: sign with a trusted key (drop --sign none) or start the gateway with GHL_SIGNATURE_MODE=off for local tests.'
  }
  if (outcome === 'invalid_signature') {
    return `The target does not trust ${plan.signer.keyId ?? 'this key'}: start the gateway with the lines printed by \`ghl-gateway keys env\`.`
  }
  if (outcome === 'not_found' || outcome === 'unknown_source') {
    return `Nothing takes webhooks at ${plan.url.pathname}: GHL webhooks go to /webhooks/ghl (or /webhooks/ghl/<EventName>).`
  }
  return `The target answered ${answer.status}${outcome ? ` ${outcome}` : ''}; see its answer above.`
}

function printList(json: boolean): void {
  if (json) {
    const entries = CATALOG.map((e) => ({
      name: e.name,
      canonical: e.canonical,
      category: e.category,
      typeValues: e.typeValues,
      typeRole: e.typeRole,
      perEventUrl: needsPerEventUrl(e),
      level: e.level,
      scopes: e.scopes,
    }))
    console.log(JSON.stringify(entries, null, 2))
    return
  }
  const rows = CATALOG.map((e) => [
    e.name,
    e.canonical,
    e.typeValues.length ? e.typeValues.join(', ') : '—',
    e.category,
    needsPerEventUrl(e) ? `/webhooks/ghl/${e.name}` : '',
  ])
  console.log(formatTable(['EVENT', 'CANONICAL', 'BODY TYPE', 'CATEGORY', 'PER-EVENT URL'], rows))
  console.log(`\n${CATALOG.length} events. Send one with \`ghl-gateway send <EVENT>\`.`)
}
