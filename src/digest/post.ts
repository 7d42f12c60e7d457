import type { Db } from '../db/connect.ts';
import type { Logger } from '../log.ts';
import type { SlackPort } from '../slack/port.ts';
import { chartSvg, renderChartPng, weekChart, type ChartModel } from './chart.ts';
import type { Digest, FastLoopSetting } from './figures.ts';
import { digestMessage } from './message.ts';
import { digestFigures } from './query.ts';

export interface DigestDeps {
  db: Db;
  slack: SlackPort;
  channel: string;
  logger: Logger;
  /** The policy's time zone: the week is seven of its calendar days. Default UTC. */
  timeZone?: string | undefined;
  /**
   * The systems whose webhook endpoint is on (`{ systems: ['stripe', 'hubspot'] }`). Left out, or
   * with no systems, the digest says webhooks are off instead of showing zeros.
   */
  fastLoop?: FastLoopSetting | undefined;
  now?: () => Date;
}

/** What was posted: the figures, and the chart's model (null when nothing was drawn). */
export interface PostedDigest {
  digest: Digest;
  chart: ChartModel | null;
}

/**
 * Posts the digest of the last seven whole days (in the policy's time zone) to the digest channel:
 * the figures, then the chart of the same figures, unless every bar would be zero.
 */
export async function postDigest(deps: DigestDeps): Promise<PostedDigest> {
  const end = (deps.now ?? (() => new Date()))();
  const fastLoop = deps.fastLoop && deps.fastLoop.systems.length > 0 ? deps.fastLoop : null;
  const digest = await digestFigures(deps.db, end, deps.timeZone, fastLoop);
  const chart = weekChart(digest.week);
  await deps.slack.postMessage(deps.channel, digestMessage(digest, { chart: chart !== null }));
  if (chart) {
    await deps.slack.uploadFile(deps.channel, { bytes: renderChartPng(chartSvg(chart)), filename: `recon-week-${digest.week.days[0]?.day ?? 'digest'}.png`, title: chart.title });
  }
  deps.logger.info({ channel: deps.channel, cycles: digest.week.cycles, chart: chart !== null }, 'weekly digest posted');
  return { digest, chart };
}
