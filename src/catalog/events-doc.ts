import { TENANT_RULE_TEXT, type TenantRule } from './define-event.js'
import { GATEWAY_EVENTS, GATEWAY_SOURCE } from './gateway-events.js'
import { type AnyCatalogEntry, CATALOG, PRICE_KINDS } from './registry.js'

/**
 * Renders docs/events.md from the registry. The table and the trap lists are computed from the
 * catalog, so they cannot drift from what the classifier does; `scripts/generate-events-doc.ts --check`
 * (and events-doc.test.ts) fail when the committed file is stale.
 */
export function renderEventsDoc(): string {
  const out: string[] = []
  const push = (...lines: string[]) => out.push(...lines)
  const code = (text: string) => `\`${text}\``
  const cell = (text: string) => text.replaceAll('|', '\\|')
  const list = (entries: readonly AnyCatalogEntry[]) => entries.map((e) => code(e.name)).join(', ')

  push(
    '# GHL events',
    '',
    '<!-- Generated from src/catalog/registry.ts by scripts/generate-events-doc.ts. Do not edit by hand:',
    '     run `npx tsx scripts/generate-events-doc.ts` (CI runs it with --check). -->',
    '',
    `The catalog of the ${CATALOG.length} webhook events GoHighLevel documents (docs of 2026-08-30). For every stored`,
    'body the gateway works out which event it is, the tenant (location/agency), the entity and when it',
    'happened, validates it against a lenient schema, and publishes it under a canonical name. The body',
    'itself is always passed on unchanged.',
    '',
    '## Canonical names',
    '',
    'Ours, stable, and what subscriptions match on: `<entity>.<what happened>` in lower snake case, with',
    'a past-tense verb (`contact.created`, `invoice.voided`, `task.completed`) or `<field>_changed` /',
    '`<field>_updated` for a state change (`opportunity.stage_changed`, `contact.tags_updated`). The',
    "prefix is what the event is about, not GHL's page name: `INSTALL` is `app.installed`, and AppUpdate",
    '(an app *version* change, not an entity update) is `app.updated`. Bodies the catalog cannot name are',
    '`unknown`. A gateway can rename canonical names (`createTypeMapper({ "contact.created":',
    '"myapp.contact.ingested" })`); a rename key that is not a canonical name stops the gateway at boot.',
    '',
    '## How a body is named',
    '',
    '1. **`type`**, exact and case-sensitive, through an explicit map (never a pattern such as "ends in',
    '   Update"). A type that names one event wins, even over a contradicting URL hint (noted).',
    '2. **URL hint**: the last path segment of a per-event URL (`/webhooks/ghl/InvoicePaid`; a canonical',
    '   name works too), used when the type names no single event: no type, a price kind, or an unknown type.',
    '3. A `type` equal to the doc name of an event documented *without* a type, in case GHL starts sending one.',
    '4. **Shape**, only for a body with no `type`, and only where the shape names one event:',
    '   `VoiceAiCallEnd` (`executedCallActions`, or `agentId` + `transcript`) and `PriceCreate` (price',
    '   fields + `priceType`). Otherwise the result is `unknown`, with the family the shape points to',
    '   ("looks like an invoice event") in `family` and `notes`.',
    '',
    'An identified body that fails its schema (a missing id, `tags: "vip"`) is still fully classified, with',
    'schema status `drift` and the issues listed. Schemas are lenient by design: every field may be',
    'missing or `null` except the entity id and the `type` literal; unknown fields are never an error.',
    '',
  )

  push(
    '## Events',
    '',
    '| Doc name | `type` value(s) | Canonical name | Category | Entity (id path) | Tenant | Scopes | Since |',
    '|---|---|---|---|---|---|---|---|',
  )
  for (const e of CATALOG) {
    const types =
      e.typeValues.length === 0
        ? '— (none)'
        : e.typeValues.map(code).join(', ') + (e.typeRole === 'price-kind' ? ' (price kind)' : '')
    const scopes = e.scopes.length === 0 ? '—' : e.scopes.map(code).join(', ')
    push(
      `| ${[
        code(e.name),
        types,
        code(e.canonical),
        e.category,
        `${e.entity.kind} (${code(e.entity.idPath)})`,
        TENANT_RULE_TEXT[e.tenant],
        scopes,
        e.since,
      ]
        .map(cell)
        .join(' | ')} |`,
    )
  }
  push('')

  const renamed = CATALOG.filter(
    (e) =>
      (e.typeRole === 'event' || e.typeRole === 'channel') &&
      !(e.typeValues.length === 1 && e.typeValues[0] === e.name),
  )
  const typeless = CATALOG.filter((e) => e.typeRole === 'none')
  const priceKind = CATALOG.filter((e) => e.typeRole === 'price-kind')
  const nested = CATALOG.filter((e) => e.entity.idPath.includes('.'))
  const arrays = CATALOG.filter((e) => e.itemSchema !== undefined)

  push(
    '## Routing traps',
    '',
    `- **\`type\` is not the doc name** for ${renamed.length} events: ` +
      renamed.map((e) => `${e.typeValues.map(code).join('/')} → ${code(e.name)}`).join(', ') +
      '. `UPDATE` is an app version change, not an entity update.',
    `- **Price kinds**: ${list(priceKind)} carry \`type\` = the price kind (${PRICE_KINDS.map(code).join(', ')}),`,
    '  which PriceCreate sends as `priceType`. Update and Delete have identical bodies, so without a per-event',
    '  URL such a body is `unknown` with family `price` (guessing could turn a delete into an update). Give',
    '  them their own URLs: `/webhooks/ghl/PriceUpdate`, `/webhooks/ghl/PriceDelete`.',
    `- **No \`type\` at all** (${typeless.length} events): ${list(typeless)}. Give each its own per-event URL;`,
    '  without one only `VoiceAiCallEnd` and `PriceCreate` are named (by shape), the rest are `unknown` with',
    '  the family noted. (Record* may carry a `type` that is the *record* type; it is never read as an event.)',
    `- **Nested entities**: ${nested.map((e) => `${code(e.name)} (${code(e.entity.idPath)})`).join(', ')}.`,
    `- **Array bodies**: ${list(arrays)} is documented as an array (bulk); it is classified by its first`,
    '  item and every item is validated (issue paths start with the index, e.g. `1.planId`). Dedupe covers',
    "  every item: the key hashes all the items' `webhookId`s, so a batch sharing its first item with an",
    "  earlier one is still stored, and the envelope's `webhookId` is null (each item carries its own).",
    "- **`data` wrapper**: the Integration Guide's test sends `{type, data: {...}}` or `{data: {type, ...}}`.",
    '  Accepted and reported as `format: "data-wrapped"`; fields are read from `data`, top-level fields',
    '  winning. Production bodies are flat.',
    '- **Doc example errors**: AppointmentUpdate/Delete examples show `AppointmentCreate`, UserDelete shows',
    "  `UserCreate`. Nothing here is built from examples: the map holds each event's documented type, and",
    "  a URL hint that contradicts the body's type is noted (the type wins).",
    '- **Unknown types** (new events ship before their docs): `unknown`, raw type kept in `ghlType`,',
    '  tenant, time and entity id (`id`, else `_id`) still extracted, schema status `unknown`. Nothing is',
    '  ever rejected for being unknown: the body is already stored.',
    '',
    '## Tenant',
    '',
    'One algorithm for every event: `locationId` (for Appointment* also `appointment.locationId`), else',
    '`altId` when `altType` is `location`; `companyId` is recorded whenever present and is the tenant when',
    'there is no location. Both ids are kept when both are present (a sub-account AppInstall carries the',
    'location and its agency). LocationCreate/LocationUpdate carry the location in `id`: it is the entity,',
    'and the tenant is the agency. A body missing the id its rule promises gets a note.',
    '',
    '| Rule | Tenant id | Events |',
    '|---|---|---|',
  )
  for (const [rule, text] of Object.entries(TENANT_RULE_TEXT) as [TenantRule, string][]) {
    const events = CATALOG.filter((e) => e.tenant === rule)
    push(`| ${code(rule)} | ${text} | ${events.length} (${summarise(events)}) |`)
  }
  push('', '## Notes per event', '')
  let category = ''
  for (const e of CATALOG) {
    if (e.category !== category) {
      if (category !== '') push('')
      category = e.category
      push(`### ${category}`, '')
    }
    push(`- ${code(e.name)} → ${code(e.canonical)}: ${e.description}`)
  }
  push(
    '',
    `## Operational events (source \`${GATEWAY_SOURCE}\`)`,
    '',
    'The gateway\'s own events, for alerts (docs/operations.md, "Alerts: operational events"). Only patterns',
    'that name them match them (`gateway.*`, an exact type), never `*`. Every body also has `subject`, `count`,',
    '`firstAt`, `lastAt`, `sampleIds`, `message` (one line for a person) and `consolePath`; the types are',
    "`GatewayEventMap` (`gw.on('gateway.delivery.dead_lettered', e => e.data.deliveryId)`).",
    '',
    '| Type | When | Body fields |',
    '|---|---|---|',
  )
  const common = new Set(['subject', 'count', 'firstAt', 'lastAt', 'sampleIds', 'message', 'consolePath'])
  for (const e of GATEWAY_EVENTS) {
    const fields = Object.keys(e.schema.shape).filter((field) => !common.has(field))
    push(`| ${[code(e.type), e.description, fields.map(code).join(', ')].map(cell).join(' | ')} |`)
  }
  push('')
  return out.join('\n')
}

/** "contact ×5, note ×3" for the tenant table. */
function summarise(entries: readonly AnyCatalogEntry[]): string {
  const counts = new Map<string, number>()
  for (const e of entries) counts.set(e.category, (counts.get(e.category) ?? 0) + 1)
  return [...counts].map(([category, n]) => (n === 1 ? category : `${category} ×${n}`)).join(', ')
}
