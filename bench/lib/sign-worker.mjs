// Worker for requests-file.ts: signs a slice of bodies with the test keys.
// Plain JS so it runs in a worker thread without a TypeScript loader.
import { createPrivateKey, sign } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'

const { bodies, edPrivatePem, rsaPrivatePem, rsaCount } = workerData
const ed = createPrivateKey(edPrivatePem)
const rsa = createPrivateKey(rsaPrivatePem)

const edSigs = new Array(bodies.length)
const rsaSigs = new Array(bodies.length).fill('')
let done = 0
let lastReport = Date.now()
for (let k = 0; k < bodies.length; k++) {
  const raw = Buffer.from(bodies[k], 'utf8')
  edSigs[k] = sign(null, raw, ed).toString('base64')
  if (k < rsaCount) rsaSigs[k] = sign('sha256', raw, rsa).toString('base64')
  done++
  if (Date.now() - lastReport > 2000) {
    parentPort.postMessage({ progress: done })
    done = 0
    lastReport = Date.now()
  }
}
parentPort.postMessage({ progress: done, edSigs, rsaSigs })
