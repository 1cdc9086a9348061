import type { FastifyInstance } from 'fastify'
import type { Worker } from '../../src/deliver/worker.js'

/** An admin API call through inject, as the engine and destination harnesses make them. */
export async function adminApi(
  fastify: FastifyInstance,
  token: string,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  body?: unknown,
  // biome-ignore lint/suspicious/noExplicitAny: assertions read arbitrary JSON answers
): Promise<{ status: number; json: any }> {
  const response = await fastify.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    payload: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: response.statusCode, json: response.body ? response.json() : null }
}

/** Runs everything due (on the harness's fixed clock) until nothing is; returns how many ran. */
export async function drainWorker(worker: Worker): Promise<number> {
  let total = 0
  for (let i = 0; i < 1000; i++) {
    const ran = await worker.runDue()
    total += ran
    if (ran === 0) return total
  }
  throw new Error('drain: still finding due deliveries after 1000 rounds')
}
