import { createGateway } from 'ghl-gateway'

// With GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY in the environment the gateway is a GHL
// app: /oauth/install and /oauth/callback take installs, and it keeps each location's tokens
// (encrypted, refreshed). A missing or misspelt setting stops it at start with what to fix.
const gw = createGateway()

gw.on('ContactCreate', async (event, ctx) => {
  // ctx.ghl is GHL's API as the location the event came from: its token, GHL's rate limits; GHL
  // down or over its limit makes the delivery retry rather than fail.
  await ctx.ghl.contacts.addTags(event.data.id, ['new-lead'])
  // ctx.once: a retried attempt does not add the note twice.
  await ctx.once('welcome-note', () => ctx.ghl.contacts.addNote(event.data.id, 'Welcome! Tagged new-lead.'))
  console.log(`tagged contact ${event.data.id} in location ${event.tenant.locationId}`)
})

// The gateway's own server: the OAuth routes live there, beside POST /webhooks/ghl.
const { url } = await gw.listen()
console.log(`listening on ${url}; install with ${url}/oauth/install`)

process.once('SIGTERM', () => void gw.close())
