import type { Command } from 'commander'
import type { PrivateTokenSetJson } from '../../api/schemas/index.js'
import { clientFor } from '../admin-client.js'
import { UsageError } from '../errors.js'
import { ADMIN_ENV_HELP, type ConnectionFlags, withConnection } from '../options.js'
import { ghlCommand } from './ghl.js'

/**
 * `ghl private-token set|remove <location|company> <id>`: PUT/DELETE /api/ghl/private-tokens. The
 * token is read from stdin (piped) or typed at a hidden prompt, never taken from the command line,
 * which every user of the machine can read (`ps`, shell history).
 */

const KINDS = ['location', 'company'] as const
type Kind = (typeof KINDS)[number]
const path = (kind: Kind, id: string) => `/api/ghl/private-tokens/${kind}/${encodeURIComponent(id)}`
const examples = (...lines: string[]) =>
  `\nExamples:\n${lines.map((line) => `  $ ${line}`).join('\n')}\n\n${ADMIN_ENV_HELP}`

function kindOf(text: string): Kind {
  if ((KINDS as readonly string[]).includes(text)) return text as Kind
  throw new UsageError(`the first argument must be location or company (got "${text}")`)
}

export function registerGhlPrivateToken(program: Command): void {
  const group = ghlCommand(program)
    .command('private-token')
    .description('Set or remove the Private Integration Token of a location or company.')
    .addHelpText(
      'after',
      `
A Private Integration Token is created in GHL (Settings → Private Integrations) for one sub-account
(location) or agency (company). The gateway stores it encrypted (GHL_TOKEN_KEY) and uses it for
that location's GHL calls when the app is not installed there.
${examples(
  'ghl-gateway ghl private-token set location ve9EPM428h8vShlRW1KT      # prompts, input hidden',
  'pass show ghl/pit | ghl-gateway ghl private-token set location ve9EPM428h8vShlRW1KT',
  'ghl-gateway ghl private-token remove location ve9EPM428h8vShlRW1KT',
)}`,
    )

  withConnection(group.command('set'))
    .description('Store a token: read from stdin, or typed at a hidden prompt (never an argument).')
    .argument('<kind>', 'location or company')
    .argument('<id>', 'the locationId (or companyId)')
    .action(async (kindText: string, id: string, flags: ConnectionFlags) => {
      const kind = kindOf(kindText)
      const api = clientFor(flags)
      const token = await readToken(`Private Integration Token of ${kind} ${id} (input hidden): `)
      const set = await api.put<PrivateTokenSetJson>(path(kind, id), { token })
      console.error(
        set
          ? `Stored the Private Integration Token of ${kind} ${id} (encrypted).`
          : `Replaced the Private Integration Token of ${kind} ${id}; it is active again.`,
      )
    })

  withConnection(group.command('remove'))
    .description('Remove a token: the gateway forgets it (revoke it in GHL too).')
    .argument('<kind>', 'location or company')
    .argument('<id>', 'the locationId (or companyId)')
    .action(async (kindText: string, id: string, flags: ConnectionFlags) => {
      const kind = kindOf(kindText)
      await clientFor(flags).delete(path(kind, id))
      console.error(`Removed the Private Integration Token of ${kind} ${id}.`)
    })
}

/** The token: all of stdin when it is piped, else one line typed at a prompt that echoes nothing. */
async function readToken(prompt: string): Promise<string> {
  const text = process.stdin.isTTY ? await promptHidden(prompt) : await readAll()
  const token = text.trim()
  if (!token) throw new UsageError('no token was given: pipe it on stdin, or type it at the prompt')
  return token
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function promptHidden(prompt: string): Promise<string> {
  const input = process.stdin
  process.stderr.write(prompt)
  input.setRawMode(true)
  input.resume()
  input.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let typed = ''
    const done = (error?: Error) => {
      input.setRawMode(false)
      input.pause()
      input.off('data', onData)
      process.stderr.write('\n')
      if (error) reject(error)
      else resolve(typed)
    }
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') return done()
        if (char === '\u0003') return done(new UsageError('cancelled'))
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1)
        else typed += char
      }
    }
    input.on('data', onData)
  })
}
