import { z } from 'zod';

/**
 * Raw Stripe objects, as far as Recon reads them (API version 2023-08-16, `spec3.json`).
 * Loose objects: every other field passes through untouched.
 *
 * Statuses are plain strings, not enums: a status Stripe adds later must reach the engine,
 * which reports it as a `mapping_gap`, instead of failing the whole read here.
 *
 * `current_period_start` is optional on the subscription because Stripe moved it to the
 * subscription items in API version 2025-03-31; the SDK's default version may send either shape.
 */

const unixSeconds = z.number().int();
const metadata = z.record(z.string(), z.string());

/**
 * A decimal string (`"2000.5"`). stripe-node 23 turns these into its own `Decimal` objects before we
 * see them; both read back as the decimal string.
 */
const decimalString = z
  .union([z.string(), z.custom<{ toString(): string }>((value) => typeof value === 'object' && value !== null && 'toFixed' in value)])
  .transform((value) => String(value));

export const stripeCustomerSchema = z.looseObject({
  id: z.string(),
  object: z.literal('customer'),
  created: unixSeconds,
  email: z.string().nullish(),
  name: z.string().nullish(),
  currency: z.string().nullish(),
  livemode: z.boolean().optional(),
  metadata: metadata.optional(),
});
export type StripeCustomer = z.output<typeof stripeCustomerSchema>;

/** What `customers.retrieve` answers for a deleted customer. */
export const stripeDeletedCustomerSchema = z.looseObject({
  id: z.string(),
  object: z.literal('customer'),
  deleted: z.literal(true),
});

export const stripeInvoiceSchema = z.looseObject({
  id: z.string(),
  object: z.literal('invoice'),
  status: z.string().nullable(),
  created: unixSeconds,
  status_transitions: z
    .looseObject({
      finalized_at: unixSeconds.nullish(),
      paid_at: unixSeconds.nullish(),
      voided_at: unixSeconds.nullish(),
      marked_uncollectible_at: unixSeconds.nullish(),
    })
    .optional(),
});
export type StripeInvoice = z.output<typeof stripeInvoiceSchema>;

export const stripePriceSchema = z.looseObject({
  id: z.string(),
  currency: z.string(),
  /** Minor units; null for tiered prices. */
  unit_amount: z.number().int().nullable(),
  unit_amount_decimal: decimalString.nullish(),
});

export const stripeSubscriptionItemSchema = z.looseObject({
  id: z.string(),
  price: stripePriceSchema,
  /** Absent for metered prices. */
  quantity: z.number().int().nullish(),
  current_period_start: unixSeconds.optional(),
});

export const stripeSubscriptionSchema = z.looseObject({
  id: z.string(),
  object: z.literal('subscription'),
  customer: z.union([z.string(), z.looseObject({ id: z.string() })]),
  status: z.string(),
  created: unixSeconds,
  start_date: unixSeconds,
  currency: z.string(),
  current_period_start: unixSeconds.optional(),
  canceled_at: unixSeconds.nullish(),
  ended_at: unixSeconds.nullish(),
  trial_start: unixSeconds.nullish(),
  trial_end: unixSeconds.nullish(),
  items: z.looseObject({
    data: z.array(stripeSubscriptionItemSchema),
    has_more: z.boolean().optional(),
  }),
  /** Expanded with `expand[]=data.latest_invoice`; an id when not expanded. */
  latest_invoice: z.union([z.string(), stripeInvoiceSchema]).nullish(),
  metadata: metadata.optional(),
});
export type StripeSubscription = z.output<typeof stripeSubscriptionSchema>;

/** A list page; its items are parsed one by one so that an error names the object. */
export const stripeListSchema = z.looseObject({
  object: z.literal('list'),
  data: z.array(z.unknown()),
  has_more: z.boolean(),
});
export type StripeListPage = z.output<typeof stripeListSchema>;

/** An event of the Events API: what changed, and the object as it was then (`data.object`). */
export const stripeEventSchema = z.looseObject({
  id: z.string(),
  object: z.literal('event'),
  type: z.string(),
  created: unixSeconds,
  data: z.looseObject({ object: z.looseObject({ id: z.string().optional(), object: z.string() }) }),
});
export type StripeEvent = z.output<typeof stripeEventSchema>;

/** A search result page: `next_page` continues it. */
export const stripeSearchSchema = z.looseObject({
  object: z.literal('search_result'),
  data: z.array(z.unknown()),
  has_more: z.boolean(),
  next_page: z.string().nullish(),
});
