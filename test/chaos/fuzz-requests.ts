import { type KeyObject, sign } from 'node:crypto'
import fc from 'fast-check'
import { CATALOG, freshFixture, type GhlEventName } from '../../src/catalog/index.js'
import { needsPerEventUrl } from '../../src/cli/event-body.js'
import { MAX_JSON_DEPTH } from '../../src/json-depth.js'

/**
 * Generators of bad (and some good) webhook requests, for the fuzzing scenario (fuzz.ts).
 *
 * Each request says what it is (`family`), whether its body carries a correct Ed25519 signature
 * by the test key over exactly these bytes (`signedOk`: only such bodies may ever be stored), and,
 * where docs/errors.md decides the answer, which statuses are acceptable (`expect`).
 *
 * `raw` requests are whole HTTP/1.1 messages as bytes (bad framing, header injection with real CR
 * and LF, request smuggling shapes) and can only go over a socket; the others go through
 * `fastify.inject()` or a socket alike.
 */

export interface FuzzRequest {
  family: string
  method: string
  path: string
  /** In order; duplicates allowed (a socket sends each line; inject keeps the last). */
  headers: [string, string][]
  body: Buffer
  signedOk: boolean
  /** Acceptable statuses when the docs decide them; undefined = any non-5xx catalog answer. */
  expect?: readonly number[]
}

export interface RawFuzzRequest {
  family: string
  raw: Buffer
  /** Bodies inside `raw` that carry a correct signature (a smuggled request may be one). */
  signedBodies: Buffer[]
}

export interface FuzzContext {
  privateKey: KeyObject
  /** The gateway's MAX_BODY_BYTES. */
  maxBodyBytes: number
}

const JSON_CT = 'application/json'

export function signature(privateKey: KeyObject, body: Buffer): string {
  return sign(null, body, privateKey).toString('base64')
}

// ---------------------------------------------------------------------------------------------
// Bodies

/** One fixture per catalog event, made once: generation must not depend on Math.random. */
const FIXTURES = CATALOG.map((entry) => ({
  entry,
  fixture: freshFixture(entry.name as GhlEventName) as unknown,
}))

/** A few ids repeat on purpose, so duplicates (same webhookId, other bytes) happen too. */
const REPEATED_IDS = Array.from({ length: 8 }, (_, i) => `fuzz-repeated-${i}`)

const webhookIdArb = fc.oneof(
  { weight: 6, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom(...REPEATED_IDS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
)

const oddText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('\u0000', '\ufeff', '\u202e', '\ud800', '\udfff', '\uffff', '𝕏', 'é', '\r\n', '</script>'),
)

/** A GHL-shaped event: a catalog fixture with a generated webhookId and some extra fields. */
const ghlEventArb = fc
  .record({
    index: fc.nat({ max: FIXTURES.length - 1 }),
    webhookId: webhookIdArb,
    extra: fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  })
  .map(({ index, webhookId, extra }) => {
    const { entry, fixture } = FIXTURES[index]!
    const withId = (item: unknown) =>
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? { ...(item as Record<string, unknown>), ...extra, webhookId }
        : item
    const body = Array.isArray(fixture) ? fixture.map(withId) : withId(fixture)
    return {
      body: Buffer.from(JSON.stringify(body)),
      path: needsPerEventUrl(entry) ? `/webhooks/ghl/${entry.name}` : '/webhooks/ghl',
    }
  })

const notJson = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.constantFrom(
    '{',
    '{"type":"ContactCreate",}',
    "{'type':'ContactCreate'}",
    '{"a":NaN}',
    '{"a":1}/* c */',
    '{"a":1}}',
    '[1,2',
    'undefined',
    '{"a":"\\x41"}',
    '{"a":01}',
    '\u0000{}',
  ),
  ghlEventArb.chain(({ body }) =>
    fc.nat({ max: Math.max(0, body.length - 2) }).map((cut) => body.subarray(0, cut + 1).toString('utf8')),
  ),
)

/**
 * Deep nesting: few distinct shapes, so accepted ones mostly dedupe instead of filling the disk.
 * Valid JSON at most MAX_JSON_DEPTH deep is accepted; deeper is `payload_too_deep`, unclosed is
 * `invalid_json`.
 */
const deepArb = fc
  .record({
    depth: fc.constantFrom(MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 1000, 10_000, 30_000),
    object: fc.boolean(),
    closed: fc.boolean(),
  })
  .map(({ depth, object, closed }) => {
    const open = object ? '{"a":'.repeat(depth) : '['.repeat(depth)
    const close = object ? '}'.repeat(depth) : ']'.repeat(depth)
    const body = Buffer.from(open + (object ? '1' : '') + (closed ? close : close.slice(1)))
    return { body, accepted: closed && depth <= MAX_JSON_DEPTH }
  })

/** A body of exactly `size` bytes: valid JSON while there is room for it. */
function paddedBody(size: number): Buffer {
  const head = '{"type":"ContactCreate","pad":"'
  const tail = '"}'
  const pad = Math.max(0, size - head.length - tail.length)
  return Buffer.from(head + 'x'.repeat(pad) + tail)
}

const unicodeBodyArb = fc
  .record({
    webhookId: webhookIdArb,
    value: oddText,
    key: oddText,
    wrapper: fc.constantFrom(
      'plain',
      'bom',
      'utf16-bom',
      'raw-lone-surrogate',
      'raw-nul',
      'overlong',
      'latin1',
    ),
  })
  .map(({ webhookId, value, key, wrapper }) => {
    const json = Buffer.from(JSON.stringify({ type: 'ContactCreate', webhookId, [key]: value, name: value }))
    switch (wrapper) {
      case 'bom':
        return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json])
      case 'utf16-bom':
        return Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(json.toString('utf16le'), 'binary')])
      case 'raw-lone-surrogate':
        return Buffer.concat([json.subarray(0, -2), Buffer.from([0xed, 0xa0, 0x80]), json.subarray(-2)])
      case 'raw-nul':
        return Buffer.concat([json.subarray(0, -1), Buffer.from([0x00]), json.subarray(-1)])
      case 'overlong':
        return Buffer.concat([json.subarray(0, -2), Buffer.from([0xc0, 0xaf]), json.subarray(-2)])
      case 'latin1':
        return Buffer.from(json.toString('utf8'), 'latin1')
      default:
        return json
    }
  })

// ---------------------------------------------------------------------------------------------
// Headers, paths, methods

const headerInjection = fc.constantFrom(
  'abc\r\nSet-Cookie: injected=1',
  'abc\r\n\r\n{"type":"ContactCreate","webhookId":"smuggled"}',
  'abc\nX-GHL-Signature: AAAA',
  'abc\rdef',
  '\u0000',
  '%0d%0aSet-Cookie:%20x=1',
  'a'.repeat(9000),
  '\t padded \t',
  'é\u00ff',
)

const extraHeaders = fc.array(
  fc.tuple(
    fc.constantFrom(
      'x-request-id',
      'x-forwarded-for',
      'x-forwarded-proto',
      'x-real-ip',
      'x-ghl-signature',
      'x-wh-signature',
      'webhook-id',
      'accept',
      'accept-encoding',
      'content-encoding',
      'expect',
      'authorization',
      'cookie',
    ),
    fc.oneof(headerInjection, fc.string({ maxLength: 80 })),
  ),
  { maxLength: 3 },
)

const oddContentTypes = fc.oneof(
  fc.constantFrom(
    'text/plain',
    'application/jsonx',
    'application/json-patch+json',
    'application/ld+json',
    'multipart/form-data; boundary=x',
    '*/*',
    'application/x-www-form-urlencoded',
    'application/json, text/plain',
    'json',
    '',
    ' ',
    'application/',
    'text/json',
  ),
  fc.string({ maxLength: 40 }).filter((s) => !/^\s*application\/json\s*(;|$)/i.test(s)),
)

/** Content types that still mean JSON: the request must be judged on its other merits. */
const jsonishContentTypes = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'application/json;charset=UTF-8',
  'application/json; charset=utf-16',
  'application/json;;;',
  'application/json ; x="\\""',
)

const badSignature = (ctx: FuzzContext, body: Buffer) =>
  fc.oneof(
    fc.constant<[string, string][]>([]),
    fc.constant<[string, string][]>([['x-ghl-signature', 'N/A']]),
    fc.constant<[string, string][]>([
      ['x-ghl-signature', 'N/A'],
      ['x-wh-signature', 'N/A'],
    ]),
    fc.constant<[string, string][]>([['x-ghl-signature', '']]),
    fc
      .base64String({ minLength: 88, maxLength: 88 })
      .map((s): [string, string][] => [['x-ghl-signature', s]]),
    fc.string({ maxLength: 120 }).map((s): [string, string][] => [['x-ghl-signature', s]]),
    fc.base64String({ maxLength: 700 }).map((s): [string, string][] => [['x-wh-signature', s]]),
    // A real signature of another body: replayed onto this one.
    ghlEventArb.map(({ body: other }): [string, string][] => [
      ['x-ghl-signature', signature(ctx.privateKey, other)],
    ]),
    // This body's signature, damaged.
    fc.nat({ max: 85 }).map((at): [string, string][] => {
      const good = signature(ctx.privateKey, body)
      const flipped = good[at] === 'A' ? 'B' : 'A'
      return [['x-ghl-signature', good.slice(0, at) + flipped + good.slice(at + 1)]]
    }),
    fc.constant<[string, string][]>([['x-ghl-signature', `${signature(ctx.privateKey, body)}==`]]),
    fc.constant<[string, string][]>([['x-ghl-signature', signature(ctx.privateKey, body).slice(0, 60)]]),
  )

const randomPath = fc.oneof(
  fc.webPath().map((path) => path || '/'),
  fc.string({ maxLength: 60 }).map((s) => `/webhooks/${encodeURIComponent(s)}`),
  fc.string({ maxLength: 200 }).map((s) => `/webhooks/ghl/${encodeURIComponent(s)}`),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => `/webhooks/ghl/${encodeURIComponent(s)}`),
  fc.constantFrom(
    '/webhooks/%zz',
    '/webhooks/ghl/%',
    '/webhooks/ghl/%00',
    '/webhooks/ghl/..%2f..%2fetc%2fpasswd',
    '/webhooks/GHL',
    '/webhooks//ghl',
    '/webhooks/ghl/',
    '/webhooks/ghl/verify',
    '/webhooks/ghl?x=%zz&y',
    '/webhooks/ghl#frag',
    `/webhooks/ghl/${'A'.repeat(150)}`,
    '/api/events',
    '/api/dlq',
    '/api/replay',
    '/metrics',
    '/health',
    '/healthz',
    '/readyz',
    '/',
    '*',
  ),
)

const methods = fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD', 'POST', 'POST', 'POST')

// ---------------------------------------------------------------------------------------------
// Requests

const request = (
  family: string,
  fields: Omit<FuzzRequest, 'family' | 'method' | 'signedOk'> & { method?: string; signedOk?: boolean },
): FuzzRequest => ({ family, method: 'POST', signedOk: false, ...fields })

export function fuzzRequestArb(ctx: FuzzContext): fc.Arbitrary<FuzzRequest> {
  const signed = (body: Buffer): [string, string] => ['x-ghl-signature', signature(ctx.privateKey, body)]
  const limit = ctx.maxBodyBytes

  const valid = ghlEventArb.map(({ body, path }) =>
    request('valid', {
      path,
      headers: [['content-type', JSON_CT], signed(body)],
      body,
      signedOk: true,
      expect: [200],
    }),
  )
  const badJson = notJson.map((text) => {
    const body = Buffer.from(text)
    return request('bad-json', {
      path: '/webhooks/ghl',
      headers: [['content-type', JSON_CT], signed(body)],
      body,
      signedOk: true,
      // Mostly 400; a random string can still be JSON (`7`, `"x"` are 400 too; `[]`/`{}` are accepted).
    })
  })
  const shapes = fc
    .constantFrom('42', '"text"', 'null', 'true', '[]', '{}', '[1,2,3]', '[{}]', '[null]', '{"type":null}')
    .map((text) => {
      const body = Buffer.from(text)
      const objectOrArray = text.startsWith('{') || text.startsWith('[')
      return request('shapes', {
        path: '/webhooks/ghl',
        headers: [['content-type', JSON_CT], signed(body)],
        body,
        signedOk: true,
        expect: objectOrArray ? [200] : [400],
      })
    })
  const deep = deepArb.map(({ body, accepted }) =>
    request('deep-nesting', {
      path: '/webhooks/ghl',
      headers: [['content-type', JSON_CT], signed(body)],
      body,
      signedOk: true,
      expect: body.length > limit ? [413] : accepted ? [200] : [400],
    }),
  )
  const huge = fc
    .constantFrom(limit - 1000, limit - 1, limit, limit + 1, limit + 4096, limit * 4)
    .map((size) => {
      const body = paddedBody(size)
      return request('huge-body', {
        path: '/webhooks/ghl',
        headers: [['content-type', JSON_CT], signed(body)],
        body,
        signedOk: true,
        expect: body.length > limit ? [413] : [200],
      })
    })
  const contentType = fc.tuple(ghlEventArb, oddContentTypes).map(([{ body, path }, type]) =>
    request('content-type', {
      path,
      headers: type.trim() === '' ? [signed(body)] : [['content-type', type], signed(body)],
      body,
      signedOk: true,
      expect: [415],
    }),
  )
  const jsonish = fc.tuple(ghlEventArb, jsonishContentTypes).map(([{ body, path }, type]) =>
    request('content-type-jsonish', {
      path,
      headers: [['content-type', type], signed(body)],
      body,
      signedOk: true,
      expect: [200],
    }),
  )
  const signatures = ghlEventArb.chain(({ body, path }) =>
    badSignature(ctx, body).map((headers) =>
      request('bad-signature', {
        path,
        headers: [['content-type', JSON_CT], ...headers],
        body,
        expect: [401],
      }),
    ),
  )
  const tampered = fc
    .tuple(ghlEventArb, fc.nat(), fc.constantFrom(' ', '\n', 'x'))
    .map(([event, at, add]) => {
      const position = at % (event.body.length + 1)
      const body = Buffer.concat([
        event.body.subarray(0, position),
        Buffer.from(add),
        event.body.subarray(position),
      ])
      return request('tampered-body', {
        path: event.path,
        headers: [['content-type', JSON_CT], signed(event.body)],
        body,
        expect: [401],
      })
    })
  const injection = fc.tuple(ghlEventArb, extraHeaders, fc.boolean()).map(([{ body, path }, extra, sign]) =>
    request('header-injection', {
      path,
      headers: [['content-type', JSON_CT], ...(sign ? [signed(body)] : []), ...extra],
      body,
      signedOk: sign,
    }),
  )
  const unicode = unicodeBodyArb.map((body) =>
    request('odd-unicode', {
      path: '/webhooks/ghl',
      headers: [['content-type', JSON_CT], signed(body)],
      body,
      signedOk: true,
      expect: [200, 400],
    }),
  )
  const paths = fc
    .tuple(methods, randomPath, ghlEventArb, fc.boolean())
    .map(([method, path, { body }, sign]) =>
      request('path-method', {
        method,
        path,
        headers: [['content-type', JSON_CT], ...(sign ? [signed(body)] : [])],
        body: method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : body,
        signedOk: sign && method !== 'GET' && method !== 'HEAD',
      }),
    )
  const perEvent = fc
    .tuple(
      ghlEventArb,
      fc.oneof(fc.string({ maxLength: 64 }), fc.constantFrom(...CATALOG.map((e) => e.name))),
    )
    .map(([{ body }, name]) =>
      request('per-event-url', {
        path: `/webhooks/ghl/${encodeURIComponent(name)}`,
        headers: [['content-type', JSON_CT], signed(body)],
        body,
        signedOk: true,
      }),
    )
  const form = fc
    .dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 })
    .chain((fields) =>
      fc.boolean().map((sign) => {
        const body = Buffer.from(new URLSearchParams(fields).toString())
        return request('form-body', {
          path: '/webhooks/ghl',
          headers: [['content-type', 'application/x-www-form-urlencoded'], ...(sign ? [signed(body)] : [])],
          body,
          signedOk: sign,
          expect: [415],
        })
      }),
    )

  return fc.oneof(
    { weight: 10, arbitrary: valid },
    { weight: 8, arbitrary: badJson },
    { weight: 2, arbitrary: shapes },
    { weight: 2, arbitrary: deep },
    { weight: 2, arbitrary: huge },
    { weight: 6, arbitrary: contentType },
    { weight: 3, arbitrary: jsonish },
    { weight: 12, arbitrary: signatures },
    { weight: 4, arbitrary: tampered },
    { weight: 5, arbitrary: injection },
    { weight: 6, arbitrary: unicode },
    { weight: 8, arbitrary: paths },
    { weight: 4, arbitrary: perEvent },
    { weight: 3, arbitrary: form },
  )
}

// ---------------------------------------------------------------------------------------------
// Whole HTTP messages (sockets only)

/** The HTTP/1.1 bytes of a request, as a well-behaved client would write them. */
export function serialize(request: FuzzRequest, extraHead = ''): Buffer {
  const lines = [`${request.method} ${request.path} HTTP/1.1`, 'Host: 127.0.0.1']
  for (const [name, value] of request.headers) lines.push(`${name}: ${value}`)
  lines.push(`Content-Length: ${request.body.length}`, 'Connection: close')
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n${extraHead}\r\n`, 'latin1'), request.body])
}

export function rawFuzzRequestArb(ctx: FuzzContext): fc.Arbitrary<RawFuzzRequest> {
  const signed = (body: Buffer) => signature(ctx.privateKey, body)
  const head = (lines: string[], eol = '\r\n') => Buffer.from(lines.join(eol) + eol + eol, 'latin1')
  return ghlEventArb.chain(({ body, path }) =>
    fc
      .constantFrom(
        'bare-lf',
        'nul-in-header',
        'te-and-cl',
        'two-content-lengths',
        'header-too-large',
        'unknown-method',
        'bad-version',
        'obs-fold',
        'bad-chunk',
        'chunked-over-limit',
        'no-host',
        'http-1.0',
        'absolute-url',
        'space-in-url',
        'short-body',
        'crlf-in-signature',
        'pipelined-unsigned',
        'pipelined-signed',
        'garbage',
      )
      .map((kind): RawFuzzRequest => {
        const sig = signed(body)
        const common = ['Host: 127.0.0.1', 'Content-Type: application/json']
        const cl = `Content-Length: ${body.length}`
        const with_ = (lines: string[], eol = '\r\n') => Buffer.concat([head(lines, eol), body])
        const raw = (() => {
          switch (kind) {
            case 'bare-lf':
              return with_(
                [`POST ${path} HTTP/1.1`, ...common, `X-GHL-Signature: ${sig}`, cl, 'Connection: close'],
                '\n',
              )
            case 'nul-in-header':
              return with_([
                `POST ${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: ${sig}\u0000`,
                cl,
                'Connection: close',
              ])
            case 'te-and-cl':
              return Buffer.concat([
                head([
                  `POST ${path} HTTP/1.1`,
                  ...common,
                  `X-GHL-Signature: ${sig}`,
                  cl,
                  'Transfer-Encoding: chunked',
                  'Connection: close',
                ]),
                Buffer.from(`${body.length.toString(16)}\r\n`),
                body,
                Buffer.from('\r\n0\r\n\r\n'),
              ])
            case 'two-content-lengths':
              return with_([
                `POST ${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: ${sig}`,
                cl,
                'Content-Length: 1',
                'Connection: close',
              ])
            case 'header-too-large':
              return with_([
                `POST ${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: ${sig}`,
                `X-Big: ${'a'.repeat(20_000)}`,
                cl,
                'Connection: close',
              ])
            case 'unknown-method':
              return with_([`FOO ${path} HTTP/1.1`, ...common, cl, 'Connection: close'])
            case 'bad-version':
              return with_([`POST ${path} HTTP/9.9`, ...common, cl, 'Connection: close'])
            case 'obs-fold':
              return with_([
                `POST ${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: ${sig.slice(0, 40)}`,
                ` ${sig.slice(40)}`,
                cl,
                'Connection: close',
              ])
            case 'bad-chunk':
              return Buffer.concat([
                head([
                  `POST ${path} HTTP/1.1`,
                  ...common,
                  `X-GHL-Signature: ${sig}`,
                  'Transfer-Encoding: chunked',
                  'Connection: close',
                ]),
                Buffer.from('zz\r\n'),
                body,
                Buffer.from('\r\n0\r\n\r\n'),
              ])
            case 'chunked-over-limit': {
              const big = paddedBody(ctx.maxBodyBytes + 100)
              const pieces: Buffer[] = []
              for (let at = 0; at < big.length; at += 8192) {
                const piece = big.subarray(at, at + 8192)
                pieces.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'))
              }
              return Buffer.concat([
                head([
                  `POST /webhooks/ghl HTTP/1.1`,
                  ...common,
                  `X-GHL-Signature: ${signed(big)}`,
                  'Transfer-Encoding: chunked',
                  'Connection: close',
                ]),
                ...pieces,
                Buffer.from('0\r\n\r\n'),
              ])
            }
            case 'no-host':
              return with_([
                `POST ${path} HTTP/1.1`,
                'Content-Type: application/json',
                `X-GHL-Signature: ${sig}`,
                cl,
                'Connection: close',
              ])
            case 'http-1.0':
              return with_([`POST ${path} HTTP/1.0`, ...common, `X-GHL-Signature: ${sig}`, cl])
            case 'absolute-url':
              return with_([
                `POST http://evil.example${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: ${sig}`,
                cl,
                'Connection: close',
              ])
            case 'space-in-url':
              return with_([`POST /webhooks/ g hl HTTP/1.1`, ...common, cl, 'Connection: close'])
            case 'short-body':
              return Buffer.concat([
                head([
                  `POST ${path} HTTP/1.1`,
                  ...common,
                  `X-GHL-Signature: ${sig}`,
                  `Content-Length: ${body.length + 50}`,
                  'Connection: close',
                ]),
                body,
              ])
            case 'crlf-in-signature':
              // The signature header "carries" a second signature and a new Content-Length.
              return with_([
                `POST ${path} HTTP/1.1`,
                ...common,
                `X-GHL-Signature: AAAA\r\nX-GHL-Signature: ${sig}`,
                cl,
                'Connection: close',
              ])
            case 'pipelined-unsigned':
            case 'pipelined-signed': {
              const second = Buffer.from(
                JSON.stringify({ type: 'ContactCreate', webhookId: `pipelined-${sig.slice(0, 12)}` }),
              )
              const secondSig = kind === 'pipelined-signed' ? [`X-GHL-Signature: ${signed(second)}`] : []
              return Buffer.concat([
                head([`POST ${path} HTTP/1.1`, ...common, `X-GHL-Signature: ${sig}`, cl]),
                body,
                head([
                  'POST /webhooks/ghl HTTP/1.1',
                  ...common,
                  ...secondSig,
                  `Content-Length: ${second.length}`,
                  'Connection: close',
                ]),
                second,
              ])
            }
            default:
              return Buffer.from(`\u0016\u0003\u0001\u0002\u0000\u0001\u0000${sig}\r\n\r\n`, 'latin1')
          }
        })()
        const signedBodies = [body]
        if (kind === 'pipelined-signed') {
          signedBodies.push(
            Buffer.from(
              JSON.stringify({ type: 'ContactCreate', webhookId: `pipelined-${sig.slice(0, 12)}` }),
            ),
          )
        }
        return { family: `raw:${kind}`, raw, signedBodies }
      }),
  )
}
