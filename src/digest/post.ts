import type { Db } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import type { SlackPort } from '../slack/port.ts';
import { renderWeekChart } from './chart.ts';
import { digestFigures } from './figures.ts';
import { digestMessage } from './message.ts';

/** Posts the digest of the last seven whole days (in the policy's time zone) to the digest channel: the figures, then the chart. */
export async function postDigest(deps: { db: Db; slack: SlackPort; channel: string; logger: Logger; timeZone?: string; now?: () => Date }): Promise<void> {
  const end = (deps.now ?? (() => new Date()))();
  const digest = await digestFigures(deps.db, end, deps.timeZone);
  await deps.slack.postMessage(deps.channel, digestMessage(digest));
  const png = await renderWeekChart(digest.week);
  await deps.slack.uploadFile(deps.channel, { bytes: png, filename: `recon-week-${end.toISOString().slice(0, 10)}.png`, title: 'Discrepancies this week' });
  deps.logger.info({ channel: deps.channel, cycles: digest.week.cycles }, 'weekly digest posted');
}
