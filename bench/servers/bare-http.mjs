// Baseline "bare": node:http, reads the whole body, answers 200 {"ok":true}. No verification,
// no parsing, no storage: the ceiling for any Node receiver on this machine.
// Env: PORT (required), HOST (default 127.0.0.1).
import { createServer } from 'node:http'

const OK = Buffer.from('{"ok":true}')

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    Buffer.concat(chunks)
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': OK.length })
    res.end(OK)
  })
})

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections())
