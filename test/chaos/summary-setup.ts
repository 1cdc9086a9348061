import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { cpus, hostname, loadavg, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import type { TestProject } from 'vitest/node'
import { summaryTable } from './harness-tables.js'

declare module 'vitest' {
  export interface ProvidedContext {
    /** `npm run chaos`: where each scenario appends its summary row (JSON lines). */
    chaosResultsFile: string
  }
}

/**
 * `npm run chaos` only: collects every scenario's summary row and prints them as tables when the
 * suite ends, with the date and the machine, ready for docs/reliability.md.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-chaos-results-'))
  const file = join(dir, 'results.jsonl')
  project.provide('chaosResultsFile', file)
  const started = Date.now()
  const loadBefore = loadavg()[0]!
  return () => {
    try {
      if (!existsSync(file)) return
      const byScenario = new Map<string, Record<string, unknown>[]>()
      for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
        const { scenario, row } = JSON.parse(line) as { scenario: string; row: Record<string, unknown> }
        byScenario.set(scenario, [...(byScenario.get(scenario) ?? []), row])
      }
      const cpu = cpus()
      const lines = [
        '',
        `ghl-gateway reliability suite — ${new Date(started).toISOString()} — ${Math.round((Date.now() - started) / 1000)} s`,
        `machine: ${hostname()}, ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}; ` +
          `load average ${loadBefore.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end (other work on the machine shows here)`,
        ...[...byScenario].map(([scenario, rows]) => `\n${summaryTable(scenario, rows)}`),
        '',
      ]
      console.info(lines.join('\n'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }
}
