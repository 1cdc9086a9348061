import type { TenantRule } from './define-event.js'
import { isJsonObject, type JsonObject, readOwn, readString } from './read-body.js'

/**
 * Which GHL account an event belongs to. One app URL receives events from every install, so this is
 * how the gateway routes by customer. Both ids are kept when both are present (a sub-account
 * AppInstall carries the location and its owning agency).
 */
export interface Tenant {
  /** The sub-account (location). */
  locationId?: string
  /** The agency (company). */
  companyId?: string
  /**
   * Your own id for the location (`PATCH /api/installs/location/:id`, `ghl-gateway installs
   * set-tenant`), on envelopes handed to handlers, when the location has one.
   */
  tenantId?: string
}

/**
 * REFERENCE.md (a) "Tenant resolution", one algorithm for every event:
 * 1. `locationId` (for Appointment* also `appointment.locationId`);
 * 2. else `altId` when `altType === "location"` (Invoice*; Order* carries both);
 * 3. `companyId` is always recorded when present, and is the tenant when there is no location.
 * LocationCreate/LocationUpdate need no special case: the location's id is in `id`, never read here,
 * so the tenant is the agency, as documented.
 */
export function resolveTenant(body: JsonObject): Tenant {
  const tenant: Tenant = {}
  const locationId = readString(body, 'locationId') ?? nestedAppointmentLocation(body) ?? altLocation(body)
  if (locationId !== undefined) tenant.locationId = locationId
  const companyId = readString(body, 'companyId')
  if (companyId !== undefined) tenant.companyId = companyId
  return tenant
}

function nestedAppointmentLocation(body: JsonObject): string | undefined {
  const appointment = readOwn(body, 'appointment')
  return isJsonObject(appointment) ? readString(appointment, 'locationId') : undefined
}

function altLocation(body: JsonObject): string | undefined {
  return readOwn(body, 'altType') === 'location' ? readString(body, 'altId') : undefined
}

/** The single routing key: the location when there is one, else the agency. */
export function primaryTenantId(tenant: Tenant): string | null {
  return tenant.locationId ?? tenant.companyId ?? null
}

/** A note when the body lacks the tenant id the event's docs promise; null when it is fine. */
export function tenantRuleNote(rule: TenantRule, tenant: Tenant): string | null {
  switch (rule) {
    case 'location':
    case 'alt-location':
    case 'location-else-alt':
      return tenant.locationId ? null : `no location id in the body (tenant rule: ${rule})`
    case 'location-else-company':
      return tenant.locationId || tenant.companyId ? null : 'neither locationId nor companyId in the body'
    case 'company':
      return tenant.companyId ? null : 'no companyId in the body (tenant rule: company)'
    default: {
      const unhandled: never = rule
      return unhandled
    }
  }
}
