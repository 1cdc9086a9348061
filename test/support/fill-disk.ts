import { closeSync, openSync, writeSync } from 'node:fs'

/**
 * Writes `path` until the filesystem says ENOSPC: big writes first, then page-sized and smaller
 * ones, so every last page is taken. Each size is tried at most `maxWrites` times (bounded even on
 * a huge disk). Returns whether the filesystem filled up.
 */
export function fillDisk(path: string, maxWrites: number): boolean {
  const fd = openSync(path, 'w')
  let full = false
  try {
    for (const chunk of [Buffer.alloc(1 << 20, 1), Buffer.alloc(4096, 1), Buffer.alloc(512, 1)]) {
      for (let i = 0; i < maxWrites; i++) {
        try {
          writeSync(fd, chunk)
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
          full = true
          break
        }
      }
    }
  } finally {
    closeSync(fd)
  }
  return full
}
