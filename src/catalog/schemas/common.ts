import { z } from 'zod'

/**
 * Building blocks for the lenient payload schemas.
 *
 * GHL omits documented fields, sends `null` where a string is documented and adds fields without
 * notice (REFERENCE.md (a), (f) 3–4). So every field is optional and nullable except what identifies
 * the event, and objects are plain `z.object`: unknown keys never fail validation (we validate, then
 * pass the ORIGINAL body on), and the inferred types have no index signature, so a misspelt field
 * is a type error in handlers.
 */

export const str = z.string().nullish()
export const num = z.number().nullish()
export const bool = z.boolean().nullish()
/** ISO-8601 text. Not parsed as a date here: a wrong date format is not worth a drift report. */
export const isoDate = z.string().nullish()
export const strList = z.array(z.string()).nullish()
export const anyList = z.array(z.unknown()).nullish()
/** A free-form object (custom values, snapshots, extracted data). */
export const anyObject = z.record(z.string(), z.unknown()).nullish()

/** The required id that identifies the entity. */
export const entityId = z.string()

/** Platform-added fields (REFERENCE.md (a)): usually absent from GHL's per-event schemas. */
export const envelopeFields = {
  appId: str,
  versionId: str,
  timestamp: isoDate,
  webhookId: str,
}

/** A lenient nested object: the object itself may be missing or null, and so may each of its fields. */
export function nested<S extends z.ZodRawShape>(shape: S) {
  return z.object(shape).nullish()
}

/** A lenient list of lenient objects. */
export function listOf<S extends z.ZodRawShape>(shape: S) {
  return z.array(z.object(shape)).nullish()
}
