import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import { bool, entityId, envelopeFields, isoDate, listOf, nested, num, str, strList } from './common.js'

/**
 * Marketplace app lifecycle (install, uninstall, version update, plan and payment changes), external
 * auth, and SaaS plans. None of these `type` values is the doc name: the classifier maps them
 * explicitly (INSTALL, UPDATE, SaasPlanCreate, …) and never pattern-matches on "Update".
 */

const installFields = {
  ...envelopeFields,
  appId: entityId,
  companyId: str,
  locationId: str,
  userId: str,
  planId: str,
  trial: nested({ onTrial: bool, trialDuration: num, trialStartDate: isoDate }),
  isWhitelabelCompany: bool,
  whitelabelDetails: nested({ domain: str, logoUrl: str }),
  companyName: str,
  installType: str,
}

export const appInstallSchema = z.object({ type: z.literal('INSTALL'), ...installFields })

export const appUninstallSchema = z.object({
  type: z.literal('UNINSTALL'),
  ...envelopeFields,
  appId: entityId,
  locationId: str,
  companyId: str,
})

export const appUpdateSchema = z.object({
  type: z.literal('UPDATE'),
  ...installFields,
  previousVersionId: str,
})

export const appPaymentStatusSchema = z.object({
  type: z.literal('APP_PAYMENT_STATUS'),
  ...envelopeFields,
  appId: entityId,
  companyId: str,
  locationId: str,
  userId: str,
  /** COMPLETE | FAILED | PENDING */
  previousStatus: str,
  /** COMPLETE | FAILED | PENDING */
  newStatus: str,
})

export const planChangeSchema = z.object({
  type: z.literal('PLAN_CHANGE'),
  ...envelopeFields,
  appId: entityId,
  locationId: str,
  companyId: str,
  userId: str,
  currentPlanId: str,
  newPlanId: str,
})

export const externalAuthConnectedSchema = z.object({
  type: z.literal('EXTERNAL_AUTH_CONNECTED'),
  ...envelopeFields,
  appId: entityId,
  locationId: str,
  companyId: str,
  /** oauth2 | basic */
  authType: str,
  /** Space-separated; oauth2 only. */
  scopes: str,
  isAutoRefreshTokenEnabled: bool,
})

export const saasPlanSchema = z.object({
  // Only in GHL's example, not in its schema, hence optional; note the casing ("Saas", not "SaaS").
  type: z.literal('SaasPlanCreate').nullish(),
  ...envelopeFields,
  planId: entityId,
  companyId: str,
  title: str,
  description: str,
  saasProducts: strList,
  addOns: z.array(z.unknown()).nullish(),
  planLevel: num,
  trialPeriod: num,
  userLimit: num,
  contactLimit: num,
  /** `amount` is in CENTS here, unlike invoice and order amounts. */
  prices: listOf({ id: str, billingInterval: str, active: bool, amount: num, currency: str, symbol: str }),
  categoryId: str,
  snapshotId: str,
  productId: str,
  isSaaSV2: bool,
  createdAt: isoDate,
  updatedAt: isoDate,
})

/** Documented as an array (bulk creation) while the example is one object: both are accepted. */
export const saasPlanCreateSchema = z.union([saasPlanSchema, z.array(saasPlanSchema)])

const app = { category: 'app', level: 'both', scopes: [], entity: { kind: 'app', idPath: 'appId' } } as const

export const appEvents = [
  defineEvent({
    ...app,
    name: 'AppInstall',
    canonical: 'app.installed',
    typeValues: ['INSTALL'],
    typeRole: 'event',
    since: '2025-05',
    tenant: 'location-else-company',
    schema: appInstallSchema,
    description:
      'App installed on a location or agency. Default URL only; can arrive before the OAuth code exchange.',
  }),
  defineEvent({
    ...app,
    name: 'AppUninstall',
    canonical: 'app.uninstalled',
    typeValues: ['UNINSTALL'],
    typeRole: 'event',
    since: '2025-05',
    tenant: 'location-else-company',
    schema: appUninstallSchema,
    description: 'App uninstalled; the only event that stops deliveries for that install.',
  }),
  defineEvent({
    ...app,
    name: 'AppUpdate',
    canonical: 'app.updated',
    typeValues: ['UPDATE'],
    typeRole: 'event',
    since: '2026-08',
    tenant: 'location-else-company',
    schema: appUpdateSchema,
    description: 'An install moved to another app version (`previousVersionId`); not an entity update.',
  }),
  defineEvent({
    ...app,
    name: 'AppPaymentStatus',
    canonical: 'app.payment_status_changed',
    typeValues: ['APP_PAYMENT_STATUS'],
    typeRole: 'event',
    since: '2026-08',
    tenant: 'location-else-company',
    schema: appPaymentStatusSchema,
    description: 'Payment state of the app subscription changed (COMPLETE, FAILED, PENDING).',
  }),
  defineEvent({
    ...app,
    name: 'PlanChange',
    canonical: 'app.plan_changed',
    typeValues: ['PLAN_CHANGE'],
    typeRole: 'event',
    since: '2025-05',
    tenant: 'location-else-company',
    schema: planChangeSchema,
    description: 'The install switched app plans (`currentPlanId` → `newPlanId`).',
  }),
  defineEvent({
    ...app,
    name: 'ExternalAuthConnected',
    canonical: 'app.external_auth_connected',
    category: 'auth',
    typeValues: ['EXTERNAL_AUTH_CONNECTED'],
    typeRole: 'event',
    since: '2025-10',
    tenant: 'location',
    schema: externalAuthConnectedSchema,
    description: "External authentication (oauth2 or basic) was connected for the app's install.",
  }),
  defineEvent({
    name: 'SaaSPlanCreate',
    canonical: 'saas_plan.created',
    typeValues: ['SaasPlanCreate'],
    typeRole: 'event',
    category: 'saas',
    level: 'agency',
    scopes: [],
    since: '2025-10',
    entity: { kind: 'saas_plan', idPath: 'planId' },
    tenant: 'company',
    schema: saasPlanCreateSchema,
    itemSchema: saasPlanSchema,
    occurredAtPaths: ['timestamp', 'createdAt'],
    description:
      'SaaS plan(s) created. Body may be an array (bulk); classified by its first item. Prices in cents.',
  }),
] as const
