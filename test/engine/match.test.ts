import { describe, expect, it } from 'vitest';
import { customer, deal, matchOf, NO_TEST_LINKS } from '../support/records.ts';

const sides = { source: { system: 'stripe' as const, object: 'customers' }, target: { system: 'hubspot' as const, object: 'deals' } };
const noLinks = NO_TEST_LINKS;

describe('matching records', () => {
  it('pairs records through a stored link before anything else', () => {
    const links = { source: new Map([['cus_1', '7']]), target: new Map([['900', '7']]) };
    const result = matchOf([customer('cus_1', {}, { refs: { hubspot: '999' }, email: 'a@example.com' })], [deal('900', {}), deal('901', {}, { email: 'a@example.com' })], links, sides);
    expect(result.pairs.map((p) => [p.source.id, p.target.id, p.matchedBy])).toEqual([['cus_1', '900', 'link']]);
  });

  it('pairs a Stripe customer whose metadata names the deal', () => {
    const result = matchOf([customer('cus_1', {}, { refs: { hubspot: '900' } })], [deal('900', {})], noLinks, sides);
    expect(result.pairs[0]?.matchedBy).toBe('shared_id');
  });

  it('pairs through a deal contact id held in Stripe metadata', () => {
    const result = matchOf([customer('cus_1', {}, { refs: { hubspot: '501' } })], [deal('900', {}, { aliases: ['501'] })], noLinks, sides);
    expect(result.pairs.map((p) => p.target.id)).toEqual(['900']);
  });

  it('pairs a deal whose property holds the Stripe customer id', () => {
    const result = matchOf([customer('cus_1', {})], [deal('900', {}, { refs: { stripe: 'cus_1' } })], noLinks, sides);
    expect(result.pairs[0]?.matchedBy).toBe('shared_id');
  });

  it('pairs by email only when the email is unique on both sides', () => {
    const result = matchOf(
      [customer('cus_1', {}, { email: 'ada@example.com' })],
      [deal('900', {}, { email: 'ada@example.com' })],
      noLinks,
      sides,
    );
    expect(result.pairs[0]?.matchedBy).toBe('email');
  });

  it('calls two deals sharing a customer email ambiguous instead of guessing', () => {
    const result = matchOf(
      [customer('cus_1', {}, { email: 'ada@example.com' })],
      [deal('900', {}, { email: 'ada@example.com' }), deal('901', {}, { email: 'ada@example.com' })],
      noLinks,
      sides,
    );
    expect(result.pairs).toEqual([]);
    expect(result.ambiguous).toHaveLength(1);
    expect(result.ambiguous[0]?.targets.map((t) => t.id).sort()).toEqual(['900', '901']);
  });

  it('calls two customers claiming one deal by shared id ambiguous', () => {
    const result = matchOf(
      [customer('cus_1', {}, { refs: { hubspot: '900' } }), customer('cus_2', {}, { refs: { hubspot: '900' } })],
      [deal('900', {})],
      noLinks,
      sides,
    );
    expect(result.pairs).toEqual([]);
    expect(result.ambiguous[0]?.sources.map((s) => s.id).sort()).toEqual(['cus_1', 'cus_2']);
  });

  it('does not offer a deal already paired by id to an email match', () => {
    const result = matchOf(
      [customer('cus_1', {}, { refs: { hubspot: '900' } }), customer('cus_2', {}, { email: 'ada@example.com' })],
      [deal('900', {}, { email: 'ada@example.com' })],
      noLinks,
      sides,
    );
    expect(result.pairs.map((p) => p.source.id)).toEqual(['cus_1']);
    expect(result.unmatchedSources.map((u) => u.record.id)).toEqual(['cus_2']);
  });

  it('marks an unmatched record linked when its entity once had a counterpart', () => {
    const links = { source: new Map([['cus_1', '7']]), target: new Map([['900', '7']]) };
    const result = matchOf([customer('cus_1', {})], [], links, sides);
    expect(result.unmatchedSources).toEqual([{ record: expect.objectContaining({ id: 'cus_1' }), linked: true }]);
  });

  it('leaves a record with neither id nor email unmatched and unlinked', () => {
    const result = matchOf([customer('cus_1', {})], [deal('900', {})], noLinks, sides);
    expect(result.unmatchedSources[0]?.linked).toBe(false);
    expect(result.unmatchedTargets[0]?.record.id).toBe('900');
  });

  it('asks a person when a linked customer now names another present deal', () => {
    const links = { source: new Map([['cus_1', '7']]), target: new Map([['900', '7']]) };
    const result = matchOf([customer('cus_1', {}, { refs: { hubspot: '901' } })], [deal('900', {}), deal('901', {})], links, sides);
    expect(result.pairs).toEqual([]);
    expect(result.ambiguous[0]?.targets.map((t) => t.id).sort()).toEqual(['900', '901']);
  });

  it('asks a person when a new deal holds the id of a customer linked to an old deal', () => {
    const links = { source: new Map([['cus_1', '7']]), target: new Map([['900', '7']]) };
    const result = matchOf([customer('cus_1', {})], [deal('900', {}), deal('901', {}, { refs: { stripe: 'cus_1' } })], links, sides);
    expect(result.pairs).toEqual([]);
    expect(result.ambiguous[0]?.targets.map((t) => t.id).sort()).toEqual(['900', '901']);
  });

  it('asks a person when two present deals share one stored entity', () => {
    const links = { source: new Map([['cus_1', '7']]), target: new Map([['900', '7'], ['901', '7']]) };
    const result = matchOf([customer('cus_1', {})], [deal('900', {}), deal('901', {})], links, sides);
    expect(result.pairs).toEqual([]);
    expect(result.ambiguous).toHaveLength(1);
  });

  it('does not pair by an email that a paired customer shares too', () => {
    const result = matchOf(
      [customer('cus_1', {}, { refs: { hubspot: '900' }, email: 'ada@example.com' }), customer('cus_2', {}, { email: 'ada@example.com' })],
      [deal('900', {}, { email: 'ada@example.com' }), deal('901', {}, { email: 'ada@example.com' })],
      noLinks,
      sides,
    );
    expect(result.pairs.map((p) => [p.source.id, p.target.id])).toEqual([['cus_1', '900']]);
    expect(result.ambiguous[0]?.key).toBe('email:ada@example.com');
  });
});
