/** Option checks shared by the benchmarks' command lines. */

/** `--name` as an integer in [min, max], or an error that ends with the suite's usage text. */
export function intArg(name: string, text: string, min: number, max: number, usage: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max} (got "${text}")\n\n${usage}`)
  return n
}

/** Repeated `--gateway-env KEY=VALUE` options as an env object. */
export function gatewayEnvArg(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) throw new Error(`--gateway-env expects KEY=VALUE (got "${pair}")`)
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return env
}
