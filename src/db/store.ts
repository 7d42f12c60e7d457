/**
 * The store port over Kysely: Postgres or the embedded database. Every method runs on the
 * database, or on the transaction a `transaction(...)` call opened.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ReconStore } from '../domain/store.ts';
import type { OpenDatabase } from './connect.ts';
import { withAdvisoryLock } from './locks.ts';
import { appendChanges, lastAppliedWrites, logOutcomes, recordIntents, unsettledIntents } from './repositories/changes.ts';
import { saveDiscrepancies } from './repositories/discrepancies.ts';
import { carryOverHeld, guardAutoFixes, previewAutoFixes } from './repositories/guard.ts';
import { linkByPerson, linkedCounterparts, loadLinks, saveLinks, streamLinks } from './repositories/links.ts';
import {
  assertClaimHeld, claimItem, closeObsoleteItems, releaseClaim, renewClaim, reopenAbandonedDecisions, resolveVanished, reviewItem,
  refusedWrites, settleItem, upsertOpenItems,
} from './repositories/review-items.ts';
import { failAbandonedRuns, finishRun, lastCursors, startRun } from './repositories/runs.ts';
import { activeSuppressions, addSuppression } from './repositories/suppressions.ts';
import { traceFacts } from './repositories/trace.ts';
import { alertsInForce, healthFacts, markAlertPosted, syncAlerts } from './repositories/alerts.ts';
import type { Database } from './schema.ts';

type Handle = Kysely<Database> | Transaction<Database>;

export function createStore(database: OpenDatabase): ReconStore {
  return storeOn(database, database.db, false);
}

function storeOn(database: OpenDatabase, db: Handle, inTransaction: boolean): ReconStore {
  const transaction = <T>(work: (trx: Handle) => Promise<T>): Promise<T> =>
    inTransaction ? work(db) : database.db.transaction().execute((trx) => work(trx));
  return {
    transaction: (work) => transaction((trx) => work(storeOn(database, trx, true))),
    withLock: (name, work) => withAdvisoryLock(database, name, work),

    startRun: (run) => startRun(db, run),
    finishRun: (id, outcome) => finishRun(db, id, outcome),
    failAbandonedRuns: (check, exceptId) => failAbandonedRuns(db, check, exceptId),
    lastCursors: (check) => lastCursors(db, check),

    loadLinks: (side, ids) => loadLinks(db, side, ids),
    streamLinks: (side) => streamLinks(db, side),
    linkedCounterparts: (from, ids, to) => linkedCounterparts(db, from, ids, to),
    saveLinks: (pairs) => transaction((trx) => saveLinks(trx, pairs)),
    linkByPerson: (source, target) => transaction((trx) => linkByPerson(trx, source, target)),

    saveDiscrepancies: (runId, decided) => saveDiscrepancies(db, runId, decided),

    upsertOpenItems: (runId, fields, escalations) => upsertOpenItems(db, runId, fields, escalations),
    resolveVanished: (check, runId, stillFound, entities) => resolveVanished(db, check, runId, stillFound, entities),
    refusedWrites: (check) => refusedWrites(db, check),
    guardAutoFixes: (request) => transaction((trx) => guardAutoFixes(trx, request)),
    previewAutoFixes: (request) => previewAutoFixes(db, request),
    carryOverHeld: (itemId, taken) => transaction((trx) => carryOverHeld(trx, itemId, taken)),
    closeObsoleteItems: (checks) => closeObsoleteItems(db, checks),
    reopenAbandonedDecisions: (check, before) => reopenAbandonedDecisions(db, check, before, transaction),
    reviewItem: (id) => reviewItem(db, id),
    claimItem: (id, user, from) => claimItem(db, id, user, from),
    renewClaim: (id, claimedAt) => renewClaim(db, id, claimedAt),
    settleItem: (id, claimedAt, outcome) => settleItem(db, id, claimedAt, outcome),
    releaseClaim: (claimed, previous) => releaseClaim(db, claimed, previous),
    assertClaimHeld: (id, claimedAt, lost) => assertClaimHeld(db, id, claimedAt, lost),
    async logDecision(entry) {
      await db
        .insertInto('decision_log')
        .values({ review_item_id: entry.itemId, actor: entry.actor, action: entry.action, outcome: entry.outcome, detail: JSON.stringify(entry.detail ?? null) })
        .execute();
    },

    activeSuppressions: (checks, now) => activeSuppressions(db, checks, now),
    addSuppression: (input) => addSuppression(db, input),

    recordIntents: (attempts) => recordIntents(db, attempts),
    logOutcomes: (outcomes) => transaction((trx) => logOutcomes(trx, outcomes)),
    appendChanges: (outcomes) => appendChanges(db, outcomes),
    unsettledIntents: () => unsettledIntents(db),
    lastAppliedWrites: (side, ids) => lastAppliedWrites(db, side, ids),

    traceFacts: (query) => traceFacts(db, query),

    healthFacts: (checks, runsPerCheck) => healthFacts(db, checks, runsPerCheck),
    syncAlerts: (active, judged, now) => transaction((trx) => syncAlerts(trx, active, judged, now)),
    markAlertPosted: (id, slack) => markAlertPosted(db, id, slack),
    alertsInForce: () => alertsInForce(db),
  };
}
