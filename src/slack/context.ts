import type { Policy } from '../config/policy.ts';
import type { OpenDatabase } from '../db/connect.ts';
import type { ConnectorsBySystem } from '../engine/apply.ts';
import type { CycleOptions, CycleResult } from '../engine/cycle.ts';
import type { Logger } from '../log.ts';
import type { Vocabularies } from './item-view.ts';
import type { StatusInput } from './messages/index.ts';
import type { SlackPort } from './port.ts';

/** What the Slack listeners need; built once by `recon serve`. Listeners stay thin: parse, call, render. */
export interface SlackContext {
  database: OpenDatabase;
  connectors: ConnectorsBySystem;
  policy: Policy;
  logger: Logger;
  slack: SlackPort;
  /** Target-field vocabularies for labels and Override (cached by the caller). */
  vocabularies(): Promise<Vocabularies>;
  /** Runs a cycle and posts its escalations, as the schedule does. */
  runCycle(options: CycleOptions): Promise<CycleResult>;
  /** The figures of `/recon status` and App Home. */
  status(): Promise<StatusInput>;
}
