import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** `bench/` (absolute), wherever the runner is started from. */
export const benchDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')
/** The repository root. */
export const repoDir = resolve(benchDir, '..')
export const cacheDir = join(benchDir, '.cache')
export const resultsDir = join(benchDir, 'results')
export const serversDir = join(benchDir, 'servers')
export const wrkScript = join(benchDir, 'wrk', 'replay.lua')
export const gatewayEntry = join(repoDir, 'dist', 'cli', 'main.js')
