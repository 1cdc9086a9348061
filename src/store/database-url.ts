/**
 * DATABASE_URL: `sqlite:<path>` or `postgres://…` (also `postgresql://`). One reading of it for the
 * env schema (which refuses anything else at boot), the store (which opens it) and `doctor` (which
 * looks for the SQLite file's disk).
 */
export type DatabaseTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string }

/** The store a DATABASE_URL names, or a sentence saying what to write instead. */
export function parseDatabaseUrl(url: string): DatabaseTarget | { problem: string } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (path) return { kind: 'sqlite', path }
    return { problem: 'DATABASE_URL sqlite: needs a file path, e.g. sqlite:./data/ghl-gateway.db' }
  }
  if (/^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url }
  const given = `DATABASE_URL must be sqlite:<path> or postgres://user:pass@host:5432/db (got "${withoutPassword(url).slice(0, 80)}")`
  // A scheme is letters before a colon; a bare path has none (a Windows drive letter is one letter).
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]+):/.exec(url)?.[1]
  if (scheme === undefined) return { problem: `${given}; for a SQLite file write sqlite:${url}` }
  return { problem: `${given}; ${scheme}: is not supported: use SQLite or PostgreSQL` }
}

/** `scheme://user:secret@host` → `scheme://user:***@host`, also for strings that are not URLs. */
export function withoutPassword(text: string): string {
  return text.replace(/:[^:@/]*@/, ':***@')
}
