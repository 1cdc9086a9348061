import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  DELIVERY_STATES,
  FINISHED_STATES,
  isOpen,
  OPEN_STATES,
  SETTLED_STATES,
  WAITING_STATES,
} from '../delivery-states.js'
import { OPEN_STATES_SQL, stateList } from './delivery-states-sql.js'
import { postgresDialect, sqliteDialect } from './dialect.js'
import { param, raw, sql, where } from './sql.js'

describe('sql templates', () => {
  const now = param(1000)
  const query = sql`UPDATE t SET a = ${now}, b = ${now} ${where([sql`c = ${param('x')}`, raw('d IS NULL')])} LIMIT ${param(5)}`

  it('number parameters for PostgreSQL in order of first use, one number per parameter', () => {
    expect(postgresDialect.render(query)).toEqual({
      text: 'UPDATE t SET a = $1, b = $1 WHERE c = $2 AND d IS NULL LIMIT $3',
      values: [1000, 'x', 5],
    })
  })

  it('give SQLite one ? and one value per use, in text order', () => {
    expect(sqliteDialect.render(query)).toEqual({
      text: 'UPDATE t SET a = ?, b = ? WHERE c = ? AND d IS NULL LIMIT ?',
      values: [1000, 1000, 'x', 5],
    })
  })

  it('render no WHERE without conditions', () => {
    expect(sqliteDialect.render(sql`SELECT 1 FROM t ${where([])}`).text).toBe('SELECT 1 FROM t ')
  })
})

describe('delivery state sets', () => {
  it('split every state into open and finished, as isOpen says; waiting and settled are subsets', () => {
    expect([...OPEN_STATES, ...FINISHED_STATES].sort()).toEqual([...DELIVERY_STATES].sort())
    for (const state of DELIVERY_STATES)
      expect(isOpen(state)).toBe((OPEN_STATES as readonly string[]).includes(state))
    for (const state of WAITING_STATES) expect(isOpen(state)).toBe(true)
    for (const state of SETTLED_STATES) expect(isOpen(state)).toBe(false)
  })

  it('render as the SQL lists the migrations’ partial indexes were written with', () => {
    const indexes = readFileSync(new URL('../sqlite/migrations/0002_deliveries.sql', import.meta.url), 'utf8')
    // deliveries_due and deliveries_ordering: SQLite uses them only for a query that says the same.
    expect(indexes.split(`state IN ${OPEN_STATES_SQL}`)).toHaveLength(3)
    expect(stateList(['dead'])).toBe("('dead')")
  })
})
