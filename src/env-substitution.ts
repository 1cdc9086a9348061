import { ConfigError } from './config-error.js'

/** The process environment, or a stand-in for it (tests, `loadConfig({ env })`). */
export type Env = Record<string, string | undefined>

/** Replaces `${NAME}` in every string of a parsed config document; a missing variable is an error. */
export function substituteEnv(value: unknown, env: Env, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const found = env[name]
      if (found === undefined) {
        throw new ConfigError(
          `config ${path || 'value'} refers to \${${name}}, which is not set in the environment`,
        )
      }
      return found
    })
  }
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, `${path}[${i}]`))
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        substituteEnv(item, env, path ? `${path}.${key}` : key),
      ]),
    )
  }
  return value
}
