/** The schema checker in test/support catches what it claims to, so passing shape tests mean something. */
import { describe, expect, it } from 'vitest';
import { loadSpec, ref, shapeProblems } from '../support/openapi-shape.ts';

const stripe = loadSpec('stripe/spec3.json');
const deals = loadSpec('hubspot/deals-v3.json');
const customer = { id: 'cus_1', object: 'customer', created: 1, livemode: false, email: null, metadata: {} };

describe('openapi shape checker', () => {
  it('accepts a value that conforms', () => {
    expect(shapeProblems(stripe, ref('customer'), customer)).toEqual([]);
  });

  it('reports a missing required property', () => {
    const { livemode: _, ...withoutLivemode } = customer;
    expect(shapeProblems(stripe, ref('customer'), withoutLivemode)).toEqual(['$.livemode: required but missing']);
  });

  it('reports a wrong type and a value outside an enum', () => {
    expect(shapeProblems(stripe, ref('customer'), { ...customer, created: '1', object: 'client' }).sort()).toEqual([
      '$.created: expected integer, got "1"',
      '$.object: "client" is not one of ["customer"]',
    ]);
  });

  it('reports null where the schema is not nullable', () => {
    expect(shapeProblems(stripe, ref('customer'), { ...customer, metadata: null })).toEqual(['$.metadata: null where the schema does not allow it']);
  });

  it('follows anyOf, as for an expanded or unexpanded latest_invoice', () => {
    const schema = { $ref: '#/components/schemas/subscription' };
    const problems = shapeProblems(stripe, schema, { latest_invoice: 42 }).filter((p) => p.startsWith('$.latest_invoice'));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('matches none of 2 alternatives');
  });

  it('checks map values, allowing null only when asked', () => {
    const deal = { id: '1', properties: { amount: null }, createdAt: 'x', updatedAt: 'x', archived: false };
    expect(shapeProblems(deals, ref('SimplePublicObject'), deal)).toEqual(['$.properties.amount: null where the schema does not allow it']);
    expect(shapeProblems(deals, ref('SimplePublicObject'), deal, { nullableMapValues: true })).toEqual([]);
  });
});
