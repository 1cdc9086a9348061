import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CONSOLE_CSP, DEFAULT_CONSOLE_DIR } from '../src/api/console-routes.js'
import { assembleForTest, type TestAssembly } from './support/assembly.js'

/**
 * Serving the web console (src/api/console-routes.ts) through the real app with `inject()`: the
 * CSP and its companions on every answer under /ui, index.html for deep links (its relative
 * references climbing back to /ui/), caching, a missing build. Then the real build in dist/ui
 * (`npm test` builds first): nothing inline, relative references, the JS size.
 */

const INDEX = `<!doctype html><html><head><script type="module" crossorigin src="./assets/index-AbC123.js"></script><link rel="stylesheet" crossorigin href="./assets/index-DeF456.css"></head><body><div id="app"></div></body></html>`

describe('GET /ui on a gateway', () => {
  let dir: string
  let t: TestAssembly
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'console-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), INDEX)
    writeFileSync(join(dir, 'assets', 'index-AbC123.js'), 'console.log(1)')
    writeFileSync(join(dir, 'assets', 'index-DeF456.css'), 'body{}')
    t = await assembleForTest('sqlite', { LOG_LEVEL: 'silent' }, { consoleDir: dir })
  })
  afterAll(async () => {
    await t.close()
    rmSync(dir, { recursive: true, force: true })
  })
  const get = (url: string) => t.app.fastify.inject({ method: 'GET', url })

  it('sends /ui to ui/, relatively, so a proxy prefix is kept', async () => {
    const answer = await get('/ui')
    expect(answer.statusCode).toBe(308)
    expect(answer.headers.location).toBe('ui/')
  })

  it('answers index.html, never cached, with the CSP, nosniff and no referrer', async () => {
    const answer = await get('/ui/')
    expect(answer.statusCode).toBe(200)
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8')
    expect(answer.headers['cache-control']).toBe('no-store')
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(CONSOLE_CSP).toContain("script-src 'self';")
    expect(CONSOLE_CSP).not.toContain('unsafe')
    expect(answer.headers['x-content-type-options']).toBe('nosniff')
    expect(answer.headers['referrer-policy']).toBe('no-referrer')
    expect(answer.body).toBe(INDEX)
  })

  it('answers a deep link with index.html whose references climb back to /ui/', async () => {
    const one = await get('/ui/events?type=contact.created')
    expect(one.body).toBe(INDEX)
    const two = await get('/ui/events/evt_01JABC')
    expect(two.statusCode).toBe(200)
    expect(two.headers['cache-control']).toBe('no-store')
    expect(two.body).toContain('src="../assets/index-AbC123.js"')
    expect(two.body).toContain('href="../assets/index-DeF456.css"')
    const three = await get('/ui/catalog/contact.created/x')
    expect(three.body).toContain('src="../../assets/index-AbC123.js"')
    // An encoded slash is no folder to the browser.
    const encoded = await get('/ui/destinations/a%2Fb')
    expect(encoded.body).toContain('src="../assets/')
  })

  it('answers hashed files with a year of immutable caching, and the CSP', async () => {
    const answer = await get('/ui/assets/index-AbC123.js')
    expect(answer.statusCode).toBe(200)
    expect(answer.headers['content-type']).toMatch(/javascript/)
    expect(answer.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP)
    expect(answer.body).toBe('console.log(1)')
  })

  it('refuses other methods with 405 and the CSP', async () => {
    for (const url of ['/ui', '/ui/', '/ui/events']) {
      const answer = await t.app.fastify.inject({ method: 'POST', url })
      expect(answer.statusCode).toBe(405)
      expect(answer.json().error.code).toBe('method_not_allowed')
      expect(answer.headers.allow).toBe('GET, HEAD')
      expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP)
    }
  })

  it('answers a missing build file with 404 not_found (not index.html), the CSP still on', async () => {
    const answer = await get('/ui/assets/index-Gone99.js')
    expect(answer.statusCode).toBe(404)
    expect(answer.json()).toMatchObject({ error: { code: 'not_found' } })
    expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP)
    const traversal = await get('/ui/assets/..%2f..%2fpackage.json')
    expect(traversal.statusCode).toBe(404)
  })
})

describe('a gateway whose console was not built', () => {
  it('answers /ui/ with 503 console_not_built saying to run npm run build', async () => {
    const t = await assembleForTest('sqlite', { LOG_LEVEL: 'silent' }, { consoleDir: '/nonexistent/ui' })
    try {
      const answer = await t.app.fastify.inject({ method: 'GET', url: '/ui/events' })
      expect(answer.statusCode).toBe(503)
      expect(answer.json().error.code).toBe('console_not_built')
      expect(answer.json().error.message).toContain('npm run build')
      expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP)
    } finally {
      await t.close()
    }
  })
})

describe('the console build in dist/ui (npm run build)', () => {
  const html = readFileSync(join(DEFAULT_CONSOLE_DIR, 'index.html'), 'utf8')
  const assets = readdirSync(join(DEFAULT_CONSOLE_DIR, 'assets'))

  it('has nothing inline: every script has a src, no <style>, no style attribute, no handler attribute', () => {
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0])
    expect(scripts.length).toBeGreaterThan(0)
    for (const script of scripts) expect(script).toMatch(/\ssrc="/)
    expect(html).not.toMatch(/<script\b[^>]*>[^<\s]/)
    expect(html).not.toMatch(/<style\b/i)
    expect(html).not.toMatch(/\sstyle=/i)
    expect(html).not.toMatch(/\son[a-z]+=/i)
  })

  it('refers to its files relatively, by hashed names that exist', () => {
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!)
    expect(refs.length).toBeGreaterThan(0)
    for (const ref of refs) {
      expect(ref).toMatch(/^\.\/assets\/[\w-]+-[\w-]{8}\.\w+$/)
      expect(assets).toContain(ref.slice('./assets/'.length))
    }
  })

  it('ships under 100 KB of gzipped JavaScript', () => {
    const js = assets.filter((name) => name.endsWith('.js'))
    const gzipped = js.reduce(
      (sum, name) => sum + gzipSync(readFileSync(join(DEFAULT_CONSOLE_DIR, 'assets', name))).length,
      0,
    )
    expect(gzipped).toBeLessThan(100 * 1024)
  })
})
