/**
 * The small HTML page an installing admin sees at the end of an install (or when it failed). Every
 * piece of text is escaped — ids and GHL's words come from outside — and the page loads nothing:
 * no script, no style sheet, no image, which its CSP states (nothing at all may load or frame it).
 */

export const INSTALL_PAGE_CSP = [
  "default-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

export const INSTALL_PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': INSTALL_PAGE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

/** A page: a heading and paragraphs, each given as plain text; `list` as a bulleted list. */
export function installPage(page: { title: string; paragraphs: string[]; list?: string[] }): string {
  const items = page.list?.length
    ? `<ul>${page.list.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title></head>
<body><main><h1>${escapeHtml(page.title)}</h1>
${page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}
${items}</main></body></html>
`
}
