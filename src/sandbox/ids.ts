const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BASE = BigInt(ALPHABET.length);
const GOLDEN = 0x9e3779b97f4a7c15n;
const CHUNK = BASE ** 7n;

/**
 * Per id length: the id space 62^k and a multiplier near 62^k × 0.618 that is odd and not a
 * multiple of 31, so n -> n × m mod 62^k is a bijection: ids look random but never collide.
 */
const mixers = new Map<number, { space: bigint; multiplier: bigint }>();

function mixer(length: number): { space: bigint; multiplier: bigint } {
  let found = mixers.get(length);
  if (!found) {
    const space = BASE ** BigInt(length);
    let multiplier = (space * GOLDEN) >> 64n;
    while (multiplier % 2n === 0n || multiplier % 31n === 0n) multiplier += 1n;
    found = { space, multiplier };
    mixers.set(length, found);
  }
  return found;
}

/**
 * A Stripe-looking id (`cus_` + `length` alphanumerics) derived from a counter, so a seeded run
 * produces the same ids every time.
 *
 * @example stripeLikeId('cus', 1, 14) // always the same 14 alphanumerics for (prefix, 1, 14)
 */
export function stripeLikeId(prefix: string, sequence: number, length: number): string {
  const { space, multiplier } = mixer(length);
  let n = (BigInt(sequence) * multiplier + BigInt(prefix.length) * 7919n) % space;
  let body = '';
  // Seven base-62 digits fit in a double, so most of the work stays off BigInt.
  for (let produced = 0; produced < length; produced += 7) {
    let chunk = Number(n % CHUNK);
    n /= CHUNK;
    for (let i = 0; i < Math.min(7, length - produced); i += 1) {
      body = ALPHABET[chunk % 62] + body;
      chunk = Math.floor(chunk / 62);
    }
  }
  return `${prefix}_${body}`;
}

/** Stripe's id lengths per prefix, as seen in the API's own fixtures. */
export const STRIPE_ID_LENGTH = { cus: 14, si: 14, prod: 14, sub: 24, in: 24, il: 24, price: 24, evt: 24 } as const;

export type StripeIdPrefix = keyof typeof STRIPE_ID_LENGTH;
