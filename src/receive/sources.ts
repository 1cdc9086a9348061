import type { GatewayConfig, SourceConfig, VerifyConfig } from '../config/index.js'
import {
  createGhlVerifier,
  createHmacVerifier,
  createSecretUrlVerifier,
  createStandardWebhooksVerifier,
  createTokenVerifier,
  decodeStandardSecret,
  ghlTrustedKeys,
  type SharedSecret,
  type Verifier,
} from '../verify/index.js'

export type MediaType = 'json' | 'form'

/** A webhook source as the receive stage uses it: everything resolved at boot. */
export interface SourceRuntime {
  id: string
  /** The built-in GoHighLevel source: bodies must be JSON objects or arrays, envelope fields are read. */
  isGhl: boolean
  verifier: Verifier
  /** Store requests that fail verification, flagged `unverified` (GHL_SIGNATURE_MODE=off only). */
  acceptUnverified: boolean
  mediaTypes: ReadonlySet<MediaType>
  /** The sender's event id: a header, or a dotted path in the body. */
  idHeader: string | undefined
  idPath: readonly string[] | undefined
  /** The sender's event type: a dotted path in the body. */
  typePath: readonly string[] | undefined
  /** The credential is the last path segment: POST /webhooks/<id>/<token>. */
  secretInUrl: boolean
  /** Headers stored verbatim with each event (credentials are stored as fingerprints instead). */
  keptHeaders: readonly string[]
}

/** Headers worth keeping with every event: they help answer "who sent this, how". */
const COMMON_HEADERS = [
  'content-type',
  'content-length',
  'user-agent',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-request-id',
  'webhook-id',
  'webhook-timestamp',
  'svix-id',
  'svix-timestamp',
]

const NONE: Verifier = {
  scheme: 'none',
  credentialHeaders: [],
  verify: () => ({ ok: true, scheme: 'none', keyId: 'none' }),
}

export function buildSources(config: GatewayConfig): Map<string, SourceRuntime> {
  const sources = new Map<string, SourceRuntime>()
  sources.set('ghl', {
    id: 'ghl',
    isGhl: true,
    verifier: createGhlVerifier(ghlTrustedKeys(config)),
    acceptUnverified: config.GHL_SIGNATURE_MODE === 'off',
    mediaTypes: new Set(['json']),
    idHeader: undefined,
    idPath: undefined,
    typePath: undefined,
    secretInUrl: false,
    keptHeaders: COMMON_HEADERS,
  })
  for (const source of config.file.sources) sources.set(source.id, runtimeFor(source))
  return sources
}

function runtimeFor(source: SourceConfig): SourceRuntime {
  const verifier = verifierFor(source.id, source.verify)
  const extra = [
    source.idHeader,
    source.verify.scheme === 'hmac-sha256' ? source.verify.timestampHeader : undefined,
  ]
  return {
    id: source.id,
    isGhl: false,
    verifier,
    acceptUnverified: false,
    mediaTypes: new Set(source.contentTypes),
    idHeader: source.idHeader,
    idPath: source.idField?.split('.'),
    typePath: source.typeField?.split('.'),
    secretInUrl: source.verify.scheme === 'secret-url',
    keptHeaders: [...COMMON_HEADERS, ...extra.filter((h): h is string => h !== undefined)],
  }
}

function toShared(
  list: (string | { id: string; value: string })[],
  decode: (text: string) => Buffer = (text) => Buffer.from(text),
) {
  return list.map(
    (entry, index): SharedSecret =>
      typeof entry === 'string'
        ? { id: `secret[${index}]`, value: decode(entry) }
        : { id: entry.id, value: decode(entry.value) },
  )
}

function verifierFor(sourceId: string, verify: VerifyConfig): Verifier {
  switch (verify.scheme) {
    case 'hmac-sha256':
      return createHmacVerifier({
        header: verify.header,
        prefix: verify.prefix,
        encoding: verify.encoding,
        secrets: toShared(verify.secrets),
        timestampHeader: verify.timestampHeader,
        toleranceSeconds: verify.tolerance === undefined ? undefined : verify.tolerance / 1000,
        signedPayload: verify.signedPayload,
        style: verify.style,
      })
    case 'standard-webhooks':
      return createStandardWebhooksVerifier({
        secrets: toShared(verify.secrets, (text) =>
          decodeStandardSecret(text, `source "${sourceId}" secret`),
        ),
        toleranceSeconds: verify.tolerance === undefined ? undefined : verify.tolerance / 1000,
        headerPrefix: verify.headerPrefix,
      })
    case 'token':
      return createTokenVerifier({
        header: verify.header,
        scheme: verify.tokenScheme,
        secrets: toShared(verify.tokens),
      })
    case 'secret-url':
      return createSecretUrlVerifier({ secrets: toShared(verify.tokens) })
    case 'none':
      return NONE
    default: {
      const unreachable: never = verify
      throw new Error(`unknown verify scheme ${(unreachable as { scheme: string }).scheme}`)
    }
  }
}
