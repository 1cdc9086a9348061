import { z } from 'zod'
import { defineEvent } from '../define-event.js'
import {
  anyList,
  bool,
  entityId,
  envelopeFields,
  isoDate,
  listOf,
  nested,
  num,
  str,
  strList,
} from './common.js'

/**
 * Products and prices. Product* and PriceCreate carry no `type`. PriceUpdate/PriceDelete DO carry a
 * top-level `type`, but it is the price kind (`one_time`, `recurring`), which PriceCreate sends as
 * `priceType`: a type-switch router misroutes them, and Update vs Delete is only told apart by URL.
 */

export const productSchema = z.object({
  ...envelopeFields,
  _id: entityId,
  locationId: str,
  name: str,
  description: str,
  /** e.g. PHYSICAL, DIGITAL, SERVICE */
  productType: str,
  availableInStore: bool,
  variants: listOf({ id: str, name: str, options: listOf({ id: str, name: str }) }),
  medias: listOf({ id: str, title: str, url: str, type: str, isFeatured: bool }),
  userId: str,
  statementDescriptor: str,
  image: str,
  createdAt: isoDate,
  updatedAt: isoDate,
})

const priceFields = {
  ...envelopeFields,
  _id: entityId,
  locationId: str,
  /** The parent product id. */
  product: str,
  userId: str,
  name: str,
  currency: str,
  amount: num,
  recurring: nested({ interval: str, intervalCount: num }),
  membershipOffers: anyList,
  variantOptionIds: strList,
  compareAtPrice: num,
  trackInventory: bool,
  availableQuantity: num,
  allowOutOfStockPurchases: bool,
  createdAt: isoDate,
  updatedAt: isoDate,
}

export const priceCreateSchema = z.object({
  ...priceFields,
  /** The price kind, e.g. one_time, recurring. */
  priceType: str,
})

export const priceChangeSchema = z.object({
  /** The PRICE KIND (one_time, recurring), not the event name. */
  type: str,
  ...priceFields,
})

const common = {
  level: 'location',
  scopes: [],
  since: '2025-05',
  tenant: 'location',
  occurredAtPaths: ['timestamp', 'updatedAt'],
} as const
const product = {
  ...common,
  category: 'product',
  typeValues: [],
  typeRole: 'none',
  entity: { kind: 'product', idPath: '_id' },
  schema: productSchema,
} as const
const price = { ...common, category: 'price', entity: { kind: 'price', idPath: '_id' } } as const
const priceChange = {
  ...price,
  typeValues: ['one_time'],
  typeRole: 'price-kind',
  schema: priceChangeSchema,
} as const

export const productEvents = [
  defineEvent({
    ...product,
    name: 'ProductCreate',
    canonical: 'product.created',
    description: 'Product created. No `type`.',
  }),
  defineEvent({
    ...product,
    name: 'ProductUpdate',
    canonical: 'product.updated',
    description: 'Product updated. No `type`.',
  }),
  defineEvent({
    ...product,
    name: 'ProductDelete',
    canonical: 'product.deleted',
    description: 'Product deleted. No `type`.',
  }),
  defineEvent({
    ...price,
    name: 'PriceCreate',
    canonical: 'price.created',
    typeValues: [],
    typeRole: 'none',
    schema: priceCreateSchema,
    description: 'Price added to a product. No `type`; the kind is in `priceType`.',
  }),
  defineEvent({
    ...priceChange,
    name: 'PriceUpdate',
    canonical: 'price.updated',
    description:
      'Price updated. `type` is the price kind (`one_time`): needs its own URL to tell from Delete.',
  }),
  defineEvent({
    ...priceChange,
    name: 'PriceDelete',
    canonical: 'price.deleted',
    description:
      'Price deleted. `type` is the price kind (`one_time`): needs its own URL to tell from Update.',
  }),
] as const
