import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import type { DecisionRequest, DecisionResult } from '../decisions/decide.ts';
import type { Vocabularies } from '../decisions/service.ts';
import type { CycleOptions, CycleResult } from '../reconcile/cycle.ts';
import type { Logger } from '../log.ts';
import type { StatusInput } from './messages/index.ts';
import type { SlackPort } from './port.ts';

/**
 * What the Slack listeners need; built once by `recon serve`. Listeners stay thin: parse, call,
 * render. They reach the systems only through decisions and cycles, never a connector.
 */
export interface SlackContext {
  database: OpenDatabase;
  policy: Policy;
  logger: Logger;
  slack: SlackPort;
  /** A person's decision on an item: authorized, claimed, written compare-and-set, logged. */
  decide(request: DecisionRequest): Promise<DecisionResult>;
  /** Field vocabularies for labels and Override (cached by the caller). */
  vocabularies(): Promise<Vocabularies>;
  /** Runs a cycle and posts its escalations, as the schedule does. */
  runCycle(options: CycleOptions): Promise<CycleResult>;
  /** The figures of `/recon status` and App Home. */
  status(): Promise<StatusInput>;
}
