import { createInterface } from 'node:readline/promises'

/**
 * Asks a yes/no question on the terminal (stderr, so stdout stays clean for pipes) and reads the
 * answer from stdin. Only "y" or "yes" is yes; Ctrl-C or the end of input is no. Callers check
 * first that there is a terminal.
 */
export async function confirm(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr })
  const abort = new AbortController()
  prompt.once('SIGINT', () => abort.abort())
  prompt.once('close', () => abort.abort())
  try {
    const answer = await prompt.question(`${question} [y/N] `, { signal: abort.signal })
    return /^y(es)?$/i.test(answer.trim())
  } catch {
    process.stderr.write('\n')
    return false
  } finally {
    prompt.close()
  }
}
