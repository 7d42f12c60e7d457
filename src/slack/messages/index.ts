/** Pure Block Kit builders for Recon's Slack surfaces: no I/O, no clock (callers pass `now`). */
export type { EscalationView, HeldView, ItemStatus, RecordView, WriteView } from './views.ts';
export type { BlockMessage } from './item-blocks.ts';
export { escalationMessage } from './escalation.ts';
export { outcomeMessage, showsOutcome } from './outcome.ts';
export { itemMessage } from './item-message.ts';
export { parsePickValue, pickValue } from './candidates.ts';
export {
  IGNORE_MODES, OTHER_DIRECTION, OVERRIDE_DIRECTION, SNOOZE_DAYS, ignoreModal, overrideModal, parseIgnoreSubmission, parseOverrideSubmission,
  type IgnoreSubmission, type OverrideModalOptions, type OverrideSubmission, type SubmissionErrors, type SubmittedInput, type ViewStateValues,
} from './override-modal.ts';
export { cycleSummaryMessage, exceptionsReportMessage, summaryCounts, summarySum, type CycleSummaryInput, type SummaryCounts } from './summary.ts';
export { statusBlocks, type CheckRunStatus, type StatusInput } from './status.ts';
export { homeView, queueBlocks } from './queue.ts';
export { helpMessage } from './help.ts';
export { traceMessage, TRACE_STEPS_SHOWN } from './trace.ts';
export { planPreviewMessage, planSize, planText, type CheckPlan } from './plan.ts';
export { noAccessHomeView, refusalMessage } from './access.ts';
export { LIMITS, truncate } from './limits.ts';
export { escapeMrkdwn } from './format.ts';
