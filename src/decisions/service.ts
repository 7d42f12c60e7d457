/**
 * What the Slack app (and the CLI's `decide`) need of decisions, in one place: decide an item, and
 * the vocabularies of the fields items show (for labels and Override). Connectors are reached
 * only from here, never from a handler.
 */
import { resolveChecks } from '../config/checks.ts';
import type { Policy } from '../config/policy.ts';
import type { CallPriority, ConnectorsBySystem, ObjectDescription, VocabularyValue } from '../domain/ports.ts';
import { vocabularyOf } from '../domain/ports.ts';
import type { SystemName } from '../domain/records.ts';
import type { ReconStore } from '../domain/store.ts';
import type { Logger } from '../log.ts';
import { fieldOf } from '../reconcile/preflight.ts';
import type { Directory } from './authorize.ts';
import { decideItem, type DecisionRequest, type DecisionResult } from './decide.ts';

/** Labels of field values (HubSpot stage id → label), and the vocabulary Override offers, per `system:object:field`. */
export type Vocabularies = ReadonlyMap<string, VocabularyValue[]>;

/** The key of a field's vocabulary in {@link Vocabularies}: `system:object:field`. */
export const vocabularyKey = (r: { system: string; object: string; field: string }) => `${r.system}:${r.object}:${r.field}`;

export interface Decisions {
  decide(request: DecisionRequest): Promise<DecisionResult>;
  /** The vocabularies of every field the policy's checks name (cached; refreshed every ten minutes). */
  vocabularies(): Promise<Vocabularies>;
}

export interface DecisionServiceDeps {
  store: ReconStore;
  connectors: ConnectorsBySystem;
  policy: Policy;
  directory: Directory;
  logger: Logger;
  now?: () => number;
  /** How long a description is kept. Default ten minutes: a pipeline changes rarely, and every click must not cost a call. */
  ttlMs?: number;
  /** How long a failed description is remembered as failed before the next caller asks again. */
  failedTtlMs?: number;
  /** A description cache shared with the process's cycles; built here when absent. */
  describe?: (system: SystemName, object: string, priority?: CallPriority) => Promise<ObjectDescription>;
  /** Where decisions come from when not Slack (`cli`), kept in the decision log. */
  via?: string;
}

/**
 * Object descriptions cached per `system:object`: a failed read is kept only for a few seconds,
 * so the next caller asks again, not every click.
 */
export function cachedDescriptions(connectors: ConnectorsBySystem, options: { ttlMs?: number; failedTtlMs?: number; now?: () => number } = {}) {
  const ttl = options.ttlMs ?? 600_000;
  const failedTtl = options.failedTtlMs ?? 15_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; ttl: number; value: Promise<ObjectDescription> }>();
  // The first caller's priority stands for the read: a cycle's is background, so it does not count as a person waiting.
  return (system: SystemName, object: string, priority: CallPriority = 'interactive'): Promise<ObjectDescription> => {
    const key = `${system}:${object}`;
    const hit = cache.get(key);
    if (hit && now() - hit.at <= hit.ttl) return hit.value;
    const connector = connectors[system];
    if (!connector) return Promise.reject(new Error(`no connector configured for ${system}`));
    const entry = { at: now(), ttl, value: connector.describe(object, { priority }) };
    entry.value.catch(() => {
      entry.ttl = failedTtl;
    });
    cache.set(key, entry);
    return entry.value;
  };
}

export function createDecisions(deps: DecisionServiceDeps): Decisions {
  const describe = deps.describe ?? cachedDescriptions(deps.connectors, deps);
  const checks = resolveChecks(deps.policy);
  return {
    decide: (request) =>
      decideItem({ store: deps.store, connectors: deps.connectors, policy: deps.policy, directory: deps.directory, logger: deps.logger, describe, ...(deps.now ? { now: deps.now } : {}), ...(deps.via ? { via: deps.via } : {}) }, request),
    async vocabularies() {
      const out = new Map<string, VocabularyValue[]>();
      for (const check of checks) {
        for (const side of [check.source, check.target]) {
          const key = vocabularyKey(side);
          if (out.has(key)) continue;
          try {
            const vocabulary = vocabularyOf(fieldOf(await describe(side.system, side.object), side.field) ?? undefined);
            if (vocabulary) out.set(key, vocabulary.values);
          } catch (error) {
            deps.logger.warn({ err: error, system: side.system }, 'could not read a vocabulary; values show without labels');
          }
        }
      }
      return out;
    },
  };
}
