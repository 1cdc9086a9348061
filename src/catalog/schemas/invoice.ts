import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import {
  anyList,
  anyObject,
  bool,
  entityId,
  envelopeFields,
  isoDate,
  listOf,
  nested,
  num,
  str,
} from './common.js'

/**
 * Invoices and orders. Invoice* bodies carry NO `type` and no `locationId` (tenant is `altId` with
 * `altType: "location"`), and the seven events share one shape, so only a per-event URL tells them
 * apart. Ids are Mongo-style `_id`. Amounts are in currency units.
 */

export const invoiceSchema = z.object({
  ...envelopeFields,
  _id: entityId,
  /** draft | sent | paid | partially_paid | void | … */
  status: str,
  liveMode: bool,
  amountPaid: num,
  /** The location id when `altType` is "location". */
  altId: str,
  altType: str,
  name: str,
  invoiceNumber: str,
  currency: str,
  businessDetails: nested({
    name: str,
    address: str,
    phoneNo: str,
    website: str,
    logoUrl: str,
    customValues: anyList,
  }),
  contactDetails: nested({
    id: str,
    name: str,
    email: str,
    phoneNo: str,
    companyName: str,
    address: nested({
      countryCode: str,
      addressLine1: str,
      addressLine2: str,
      city: str,
      state: str,
      postalCode: str,
    }),
    additionalEmails: listOf({ email: str }),
    customFields: anyList,
  }),
  /** YYYY-MM-DD */
  issueDate: isoDate,
  /** YYYY-MM-DD */
  dueDate: isoDate,
  discount: nested({ type: str, value: num }),
  invoiceItems: listOf({
    _id: str,
    productId: str,
    priceId: str,
    currency: str,
    name: str,
    qty: num,
    amount: num,
    taxes: anyList,
  }),
  total: num,
  title: str,
  amountDue: num,
  totalSummary: nested({ subTotal: num, discount: num }),
  createdAt: isoDate,
  updatedAt: isoDate,
})

function orderSchema<T extends string>(type: T) {
  return z.object({
    type: z.literal(type),
    ...envelopeFields,
    /** In GHL's example, not in its schema. */
    locationId: str,
    _id: entityId,
    altId: str,
    altType: str,
    contactId: str,
    /** A copy of the contact at order time. */
    contactSnapshot: anyObject,
    /** e.g. pending, completed */
    status: str,
    /** e.g. unfulfilled */
    fulfillmentStatus: str,
    currency: str,
    amount: num,
    liveMode: bool,
    /** `price.type` (e.g. one_time) is the price kind, nested: never the event type. */
    items: listOf({ name: str, qty: num, product: anyObject, price: anyObject }),
    amountSummary: nested({ subtotal: num, discount: num, tax: num, shipping: num }),
    taxSummary: listOf({ _id: str, name: str, calculation: str, rate: num, amount: num }),
    source: nested({ type: str, subType: str, id: str, name: str, meta: anyObject }),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
}

const invoice = {
  category: 'invoice',
  level: 'location',
  scopes: [],
  since: '2025-05',
  typeValues: [],
  typeRole: 'none',
  entity: { kind: 'invoice', idPath: '_id' },
  tenant: 'alt-location',
  schema: invoiceSchema,
  occurredAtPaths: ['timestamp', 'updatedAt'],
} as const

const order = {
  category: 'order',
  level: 'location',
  scopes: [],
  since: '2025-05',
  typeRole: 'event',
  entity: { kind: 'order', idPath: '_id' },
  tenant: 'location-else-alt',
  occurredAtPaths: ['timestamp', 'updatedAt'],
} as const

export const invoiceEvents = [
  defineEvent({
    ...invoice,
    name: 'InvoiceCreate',
    canonical: 'invoice.created',
    description: 'Invoice created (status draft). No `type`: indistinguishable from InvoiceUpdate by shape.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoiceUpdate',
    canonical: 'invoice.updated',
    description: 'Invoice edited. No `type`.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoiceSent',
    canonical: 'invoice.sent',
    description: 'Invoice sent to the customer (status sent). No `type`.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoicePaid',
    canonical: 'invoice.paid',
    description: 'Invoice fully paid (status paid). No `type`.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoicePartiallyPaid',
    canonical: 'invoice.partially_paid',
    description: 'Partial payment recorded (status partially_paid). No `type`.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoiceVoid',
    canonical: 'invoice.voided',
    description: 'Invoice voided (status void). No `type`.',
  }),
  defineEvent({
    ...invoice,
    name: 'InvoiceDelete',
    canonical: 'invoice.deleted',
    description: 'Invoice deleted. No `type`.',
  }),
  defineEvent({
    ...order,
    name: 'OrderCreate',
    canonical: 'order.created',
    typeValues: ['OrderCreate'],
    schema: orderSchema('OrderCreate'),
    description: 'Order placed. `items[].price.type` is a price kind, not the event type.',
  }),
  defineEvent({
    ...order,
    name: 'OrderStatusUpdate',
    canonical: 'order.status_changed',
    typeValues: ['OrderStatusUpdate'],
    schema: orderSchema('OrderStatusUpdate'),
    description: 'Order status changed (e.g. completed). Same shape as OrderCreate.',
  }),
] as const
