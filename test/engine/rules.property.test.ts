import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Check } from '../../src/domain/check.ts';
import { decide } from '../../src/engine/rules.ts';
import type { SystemRecord } from '../../src/domain/records.ts';
import { checkFromYaml, diffOf, NOW } from '../support/records.ts';

const STATUSES = ['active', 'trialing', 'past_due', 'canceled', 'unpaid', 'paused', 'incomplete', 'weird', null];
const STAGES = ['appointmentscheduled', 'qualifiedtobuy', 'closedwon', 'closedlost', 'unknownstage', null];

const arbitraryCheck = fc.record({
  rule: fc.constantFrom('source_of_truth', 'recency', 'merge', 'escalate'),
  targetSystem: fc.constantFrom('hubspot', 'stripe'),
  financial: fc.boolean(),
  mapped: fc.boolean(),
  highValue: fc.boolean(),
}).map(({ rule, targetSystem, financial, mapped, highValue }): Check => {
  const useMap = mapped && (rule === 'source_of_truth' || rule === 'escalate');
  const source = targetSystem === 'stripe' ? '{ system: hubspot, object: deals, field: s }' : '{ system: stripe, field: s }';
  const target = targetSystem === 'stripe' ? `{ system: stripe, field: t, financial: ${financial} }` : `{ system: hubspot, object: deals, field: t, financial: ${financial} }`;
  return checkFromYaml(`
  - name: generated
    source: ${source}
    target: ${target}
    rule: ${rule}
    ${useMap ? 'map: { active: { write: closedwon }, canceled: { write: closedlost, accept: [closedlost, appointmentscheduled] } }' : ''}
    ${highValue ? 'highValue: { field: amount, atLeast: 1000 }' : ''}
    humanEditWindow: 24h`);
});

const arbitraryRecord = (system: 'stripe' | 'hubspot', object: string, field: string) =>
  fc.record({
    value: fc.oneof(fc.constantFrom(...STATUSES), fc.constantFrom(...STAGES), fc.integer({ min: -5, max: 50_000 }), fc.array(fc.constantFrom('a', 'b', 'c'), { maxLength: 3 })),
    amount: fc.option(fc.integer({ min: 0, max: 50_000 })),
    updatedAt: fc.option(fc.integer({ min: NOW - 90 * 86_400_000, max: NOW })),
    editedBy: fc.constantFrom('human', 'integration', 'recon', 'unknown'),
    editedAt: fc.option(fc.integer({ min: NOW - 90 * 86_400_000, max: NOW })),
  }).map(({ value, amount, updatedAt, editedBy, editedAt }): SystemRecord => ({
    system, object, id: `${system}-1`, fields: { [field]: value, amount }, email: 'x@example.com', refs: {}, aliases: [],
    updatedAt, history: { [field]: { changedAt: editedAt, changedBy: editedBy } }, url: null,
  }));

/** A check and a source and target record of the systems and fields it names. */
const withRecords = arbitraryCheck.chain((check) =>
  fc.tuple(
    fc.constant(check),
    arbitraryRecord(check.source.system as 'stripe' | 'hubspot', check.source.object, check.source.field),
    arbitraryRecord(check.target.system as 'stripe' | 'hubspot', check.target.object, check.target.field),
  ),
);

function* resolutions(check: Check, source: SystemRecord, target: SystemRecord, suppressed: boolean) {
  for (const d of diffOf(check, [source], [target])) {
    yield { d, r: decide(check, d, { suppressions: suppressed ? new Map([[d.fingerprint, null]]) : new Map(), now: NOW }) };
  }
}

describe('engine safety, whatever the input', () => {
  it('never auto-writes a financial field', () => {
    fc.assert(
      fc.property(withRecords, fc.boolean(), ([check, source, target], suppressed) => {
        for (const { r } of resolutions(check, source, target, suppressed)) {
          if (r.type === 'auto_fix' && r.writes.some((w) => w.financial || w.system === 'stripe')) return false;
        }
        return true;
      }),
      { numRuns: 2_000 },
    );
  });

  it('never writes a value the map does not know', () => {
    fc.assert(
      fc.property(
        arbitraryCheck,
        arbitraryRecord('stripe', 'customers', 's'),
        arbitraryRecord('hubspot', 'deals', 't'),
        (check, source, target) => {
          if (check.source.system !== 'stripe') return true;
          for (const { d, r } of resolutions(check, source, target, false)) {
            if (d.kind === 'mapping_gap' && r.type !== 'escalate') return false;
            if (r.type === 'auto_fix' && check.map) {
              const written = new Set([...check.map.values()].map((e) => e.write));
              if (r.writes.some((w) => !written.has(String(w.to)))) return false;
            }
          }
          return true;
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
