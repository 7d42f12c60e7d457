/**
 * Every Slack identifier the app uses, in one place: manifest.yml declares the same command and
 * the tests check both agree. Action ids are stable: changing one breaks messages already posted.
 */
export const SLASH_COMMAND = '/recon';

export const ACTIONS = {
  approve: 'recon_approve',
  override: 'recon_override',
  ignore: 'recon_ignore',
  retry: 'recon_retry',
  /** Releases the writes the blast-radius guard held back. */
  release: 'recon_release',
  /** Picks the candidate record of an ambiguous match that belongs (a static select). */
  pick: 'recon_pick',
  openQueue: 'recon_open_queue',
} as const;

export const VIEWS = {
  override: 'recon_override_modal',
  ignore: 'recon_ignore_modal',
} as const;

/** Block and action ids inside the modals, where a submission's values are read back. */
export const INPUTS = {
  overrideValue: { block: 'override_value', action: 'value' },
  overrideReason: { block: 'override_reason', action: 'reason' },
  ignoreMode: { block: 'ignore_mode', action: 'mode' },
  ignoreDays: { block: 'ignore_days', action: 'days' },
  ignoreReason: { block: 'ignore_reason', action: 'reason' },
} as const;

/** The scopes the bot token needs, for manifest.yml and `recon doctor`. */
export const BOT_SCOPES = ['channels:read', 'chat:write', 'commands', 'files:write', 'groups:read', 'usergroups:read', 'users:read'] as const;

export const EVENTS = ['app_home_opened'] as const;
