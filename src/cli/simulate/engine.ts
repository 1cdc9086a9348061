import type { AnyCatalogEntry } from '../../catalog/index.js'
import { buildEventBody, perEventUrl } from '../event-body.js'
import { type Answer, answerOutcome, createPoster } from '../http.js'
import type { Signer } from '../signing.js'
import { createPicker, type WeightedEvent } from './mix.js'
import type { RetryPolicy } from './policy.js'
import { type SimulationReport, summarise } from './report.js'

/**
 * GHL as a sender. Open loop: first deliveries leave at `rate` per second whatever the target's
 * speed (as GHL's do; a slow target is not a reason for GHL to send less), capped only by
 * `concurrency` requests in flight, and the lag behind schedule is reported. Each delivery then
 * follows the retry policy on its own timer; delays are divided by `timeScale`.
 *
 * Duplicate deliveries (GHL sends some webhooks twice) are extra first deliveries that re-send an
 * already-sent event byte for byte, same webhookId and signature: `duplicatesPct` % of `events`,
 * spread at random over the run, each a copy of one of the last `RECENT` events (which also bounds
 * memory: finished events are not kept). Bounded: it ends when every delivery is done or dropped, or at
 * `deadlineMs`, or when `signal` aborts; whatever is left then is reported as unfinished.
 */

export interface SimulationOptions {
  target: URL
  /** Append `/<EventName>` for events whose body does not name them. */
  perEventUrls: boolean
  events: number
  rate: number
  policy: RetryPolicy
  duplicatesPct: number
  mix: readonly WeightedEvent[]
  timeScale: number
  concurrency: number
  timeoutMs: number
  deadlineMs: number
  signer: Signer
  random: () => number
  signal?: AbortSignal
  onProgress?: (progress: SimulationProgress) => void
}

export interface SimulationProgress {
  started: number
  total: number
  acknowledged: number
  inFlight: number
  waitingRetry: number
}

interface SimEvent {
  entry: AnyCatalogEntry
  url: URL
  body: Buffer
  headers: Record<string, string>
  acked: boolean
}

interface Delivery {
  event: SimEvent
  retries: number
  /** performance.now() the first attempt was due (for lag), or undefined for retries. */
  dueAt?: number
}

/** Mutable counters the report is computed from. */
export interface SimulationTally {
  events: number
  duplicatesSent: number
  attempts: number
  retryAttempts: number
  deliveriesRetried: number
  acknowledged: number
  droppedNotRetried: number
  droppedExhausted: number
  unfinished: number
  answered: Map<string, number>
  byStatus: Map<string, number>
  noAnswer: Map<string, number>
  latencies: number[]
  lags: number[]
  firstSentAt: number | undefined
  lastSentAt: number | undefined
  startedAt: number
  endedAt: number
  deadlineHit: boolean
  interrupted: boolean
}

/** Duplicates copy one of this many most recent events. */
const RECENT = 1000

const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1)

/** Which of the `total` first-delivery slots are duplicates: `count` of them, never slot 0. */
function duplicateSlots(total: number, count: number, random: () => number): Set<number> {
  const candidates = Array.from({ length: Math.max(0, total - 1) }, (_, i) => i + 1)
  const chosen = new Set<number>()
  for (let i = 0; i < count && i < candidates.length; i++) {
    const j = i + Math.floor(random() * (candidates.length - i))
    ;[candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!]
    chosen.add(candidates[i]!)
  }
  return chosen
}

export async function runSimulation(options: SimulationOptions): Promise<SimulationReport> {
  const { policy, random, rate } = options
  const duplicates = Math.round((options.events * options.duplicatesPct) / 100)
  const totalSlots = options.events + duplicates
  const dupSlots = duplicateSlots(totalSlots, duplicates, random)
  const pick = createPicker(options.mix, random)
  const poster = createPoster({ concurrency: options.concurrency, timeoutMs: options.timeoutMs })

  const tally: SimulationTally = {
    events: 0,
    duplicatesSent: 0,
    attempts: 0,
    retryAttempts: 0,
    deliveriesRetried: 0,
    acknowledged: 0,
    droppedNotRetried: 0,
    droppedExhausted: 0,
    unfinished: 0,
    answered: new Map(),
    byStatus: new Map(),
    noAnswer: new Map(),
    latencies: [],
    lags: [],
    firstSentAt: undefined,
    lastSentAt: undefined,
    startedAt: performance.now(),
    endedAt: 0,
    deadlineHit: false,
    interrupted: false,
  }
  const recent: SimEvent[] = []
  let recentNext = 0
  const ready: Delivery[] = []
  let readyHead = 0
  let inFlight = 0
  let nextSlot = 0
  let stopped = false
  let slotTimer: NodeJS.Timeout | undefined
  const retryTimers = new Set<NodeJS.Timeout>()
  const start = tally.startedAt

  let finish: () => void = () => {}
  const finished = new Promise<void>((resolve) => {
    finish = resolve
  })

  const progress = () =>
    options.onProgress?.({
      started: nextSlot,
      total: totalSlots,
      acknowledged: tally.acknowledged,
      inFlight,
      waitingRetry: retryTimers.size,
    })

  const newEvent = (): SimEvent => {
    const entry = pick()
    const body = buildEventBody(entry)
    const url = options.perEventUrls ? perEventUrl(options.target, entry) : options.target
    return {
      entry,
      url,
      body,
      headers: { 'content-type': 'application/json', ...options.signer.sign(body) },
      acked: false,
    }
  }

  const onAnswer = (delivery: Delivery, answer: Answer) => {
    inFlight--
    if (stopped) return
    tally.latencies.push(answer.latencyMs)
    if (answer.status === undefined) {
      bump(tally.byStatus, 'no answer')
      bump(tally.noAnswer, (answer.error ?? 'unknown').split(' ')[0]!)
    } else {
      bump(tally.byStatus, String(answer.status))
    }
    const { outcome } = answerOutcome(answer)
    if (outcome) bump(tally.answered, outcome)
    const decision = policy.decide({ status: answer.status }, delivery.retries, random)
    if (decision.action === 'done') {
      if (!delivery.event.acked) {
        delivery.event.acked = true
        tally.acknowledged++
      }
    } else if (decision.action === 'drop') {
      if (decision.reason === 'not_retried') tally.droppedNotRetried++
      else tally.droppedExhausted++
    } else {
      if (delivery.retries === 0) tally.deliveriesRetried++
      const timer = setTimeout(() => {
        retryTimers.delete(timer)
        delivery.retries++
        tally.retryAttempts++
        ready.push({ event: delivery.event, retries: delivery.retries })
        pump()
      }, decision.delayMs / options.timeScale)
      retryTimers.add(timer)
    }
    pump()
    progress()
    checkDone()
  }

  const pump = () => {
    while (!stopped && inFlight < options.concurrency && readyHead < ready.length) {
      const delivery = ready[readyHead++]!
      if (readyHead > 1024 && readyHead * 2 > ready.length) {
        ready.splice(0, readyHead)
        readyHead = 0
      }
      const now = performance.now()
      if (delivery.dueAt !== undefined) {
        tally.lags.push(now - delivery.dueAt)
        tally.firstSentAt ??= now
        tally.lastSentAt = now
      }
      inFlight++
      tally.attempts++
      poster
        .post(delivery.event.url, delivery.event.headers, delivery.event.body)
        .then((answer) => onAnswer(delivery, answer))
    }
  }

  const tick = () => {
    slotTimer = undefined
    if (stopped) return
    const due = Math.min(totalSlots, Math.floor(((performance.now() - start) * rate) / 1000) + 1)
    for (; nextSlot < due; nextSlot++) {
      const dueAt = start + (nextSlot * 1000) / rate
      if (dupSlots.has(nextSlot) && recent.length) {
        tally.duplicatesSent++
        ready.push({ event: recent[Math.floor(random() * recent.length)]!, retries: 0, dueAt })
      } else {
        const event = newEvent()
        recent[recentNext] = event
        recentNext = (recentNext + 1) % RECENT
        tally.events++
        ready.push({ event, retries: 0, dueAt })
      }
    }
    pump()
    progress()
    if (nextSlot < totalSlots) {
      const wait = start + (nextSlot * 1000) / rate - performance.now()
      slotTimer = setTimeout(tick, Math.max(0, wait))
    }
    checkDone()
  }

  const stop = (why: 'done' | 'deadline' | 'interrupted') => {
    if (stopped) return
    stopped = true
    if (why === 'deadline') tally.deadlineHit = true
    if (why === 'interrupted') tally.interrupted = true
    tally.unfinished = totalSlots - nextSlot + (ready.length - readyHead) + retryTimers.size + inFlight
    if (slotTimer) clearTimeout(slotTimer)
    for (const timer of retryTimers) clearTimeout(timer)
    retryTimers.clear()
    clearTimeout(deadline)
    options.signal?.removeEventListener('abort', onAbort)
    poster.close()
    tally.endedAt = performance.now()
    finish()
  }

  const checkDone = () => {
    if (nextSlot >= totalSlots && inFlight === 0 && retryTimers.size === 0 && readyHead >= ready.length)
      stop('done')
  }

  const onAbort = () => stop('interrupted')
  const deadline = setTimeout(() => stop('deadline'), options.deadlineMs)
  options.signal?.addEventListener('abort', onAbort)
  if (options.signal?.aborted) stop('interrupted')
  else tick()
  await finished
  return summarise(tally, options)
}
