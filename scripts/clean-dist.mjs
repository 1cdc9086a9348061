// Removes dist/ before a build, so a source file that was deleted or renamed cannot leave its old
// .js behind (tests and the CLI run from dist/ and would still find it).
import { rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

rmSync(join(dirname(fileURLToPath(import.meta.url)), '..', 'dist'), { recursive: true, force: true })
