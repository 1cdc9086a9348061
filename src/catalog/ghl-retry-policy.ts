/**
 * What GHL does with the status a webhook receiver answers: the one home of GHL's retry policy
 * (REFERENCE.md §c, "Guide 2026-08-30 (current)"), for the console and the API's event detail.
 * Imports nothing, so the console may import it too.
 *
 * Current policy: any non-2xx and no answer at all are retried, with exponential backoff and
 * jitter (intervals unpublished), up to 12 retries after the original; the first 2xx stops them.
 * Every non-2xx also lowers the URL's success rate, which GHL's circuit breaker scores over 3 days
 * (URLs with > 10,000 webhooks and < 90 % success are flagged, then paused).
 */

/** The date of the GHL guide this text follows. */
export const GHL_RETRY_POLICY_VERSION = '2026-08-30'

/** One sentence: what GHL does after receiving `status` (undefined: no answer, e.g. a timeout). */
export function ghlRetryOutcome(status: number | undefined): string {
  if (status !== undefined && status >= 200 && status < 300) {
    return `GHL counts ${status} as delivered: it does not retry, and the attempt counts as a success toward the URL's success rate.`
  }
  const what = status === undefined ? 'No answer (a timeout or a broken connection)' : `${status}`
  return `${what} is a failure to GHL: it retries with exponential backoff and jitter, up to 12 times after the original, until one gets a 2xx; each failure lowers the URL's success rate, which GHL's circuit breaker scores (below 90 % over 3 days pauses delivery).`
}
