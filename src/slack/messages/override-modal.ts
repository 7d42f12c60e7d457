/**
 * The Override and Ignore modals, and the parsers that read their submissions back. Pure.
 *
 * Both modals carry `private_metadata` = `JSON.stringify({ itemId, home })`: `home` when opened from
 * App Home, so the decision redraws it.
 */
import { OTHER_DIRECTION } from '../../domain/discrepancy.ts';
import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { INPUTS, VIEWS } from '../ids.ts';
import { escapeMrkdwn, systemName, valueWords } from './format.ts';
import { headline, itemTitle, plainText, targetName } from './item-blocks.ts';
import { LIMITS, orElse, truncate } from './limits.ts';
import type { EscalationView } from './views.ts';

/**
 * The Override value meaning "write the target's value into the source instead". Equal to
 * `OTHER_DIRECTION` in src/decisions/decide.ts, which acts on it.
 */
export { OTHER_DIRECTION };

/**
 * Beside a free-text value (no vocabulary), the other direction is a radio in this block; with a
 * vocabulary it is the first entry of the value select instead.
 */
export const OVERRIDE_DIRECTION = { block: 'override_direction', action: 'direction' } as const;
const TYPED_VALUE = 'typed_value';

export const IGNORE_MODES = { occurrence: 'occurrence', snooze: 'snooze' } as const;
export const SNOOZE_DAYS = { min: 1, max: 90, initial: 7 } as const;

export interface OverrideModalOptions {
  /**
   * Offer the other direction (the target's value written into the source). Defaults to whether the
   * item has both records; pass false for a check that maps values one way (decide.ts refuses it).
   */
  otherDirection?: boolean;
  /** Opened from App Home: the decision redraws it. */
  home?: boolean;
}

const metadata = (view: EscalationView, home = false) => JSON.stringify(home ? { itemId: view.itemId, home: true } : { itemId: view.itemId });

function summary(view: EscalationView): KnownBlock {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(`*${escapeMrkdwn(itemTitle(view))}*\n${headline(view)}`, LIMITS.sectionText) } };
}

function otherDirectionWords(view: EscalationView): string {
  const { source, target } = view;
  if (!source || !target) return 'Other direction';
  return `Set ${systemName(source.system)} ${source.field} to ${valueWords(target.value, target.valueLabel)}`;
}

/** The target's vocabulary as select options: no empty or over-long values (a cut value would write the wrong thing), no duplicates. */
function vocabularyOptions(view: EscalationView, room: number): { options: PlainTextOption[]; total: number } {
  const current = view.target && !Array.isArray(view.target.value) && view.target.value !== null ? String(view.target.value) : null;
  const seen = new Set<string>();
  const usable = (view.targetVocabulary ?? []).filter((v) => {
    if (!v.value.trim() || v.value.length > LIMITS.optionValue || v.value === OTHER_DIRECTION || seen.has(v.value)) return false;
    seen.add(v.value);
    return true;
  });
  const options = usable.slice(0, room).map((v) => ({
    text: plainText(`${orElse(v.label, v.value)}${v.value === current ? ' (current)' : ''}`, LIMITS.optionText),
    value: v.value,
  }));
  return { options, total: usable.length };
}

function valueInputs(view: EscalationView, otherDirection: boolean): InputBlock[] {
  const label = plainText(`Value to write into ${targetName(view)}${view.target?.field ? ` (${view.target.field})` : ''}`, LIMITS.inputLabel);
  const other: PlainTextOption = { text: plainText(`⇄ Other direction: ${otherDirectionWords(view)}`, LIMITS.optionText), value: OTHER_DIRECTION };
  if (view.targetVocabulary && view.targetVocabulary.length) {
    const room = LIMITS.optionsPerSelect - (otherDirection ? 1 : 0);
    const { options, total } = vocabularyOptions(view, room);
    if (options.length || otherDirection) {
      const block: InputBlock = {
        type: 'input',
        block_id: INPUTS.overrideValue.block,
        label,
        element: {
          type: 'static_select',
          action_id: INPUTS.overrideValue.action,
          placeholder: plainText('Choose a value', LIMITS.placeholder),
          options: otherDirection ? [other, ...options] : options,
        },
      };
      if (total > options.length) block.hint = plainText(`Showing the first ${options.length} of ${total} values.`, LIMITS.inputHint);
      return [block];
    }
  }
  const text: InputBlock = {
    type: 'input',
    block_id: INPUTS.overrideValue.block,
    label,
    element: { type: 'plain_text_input', action_id: INPUTS.overrideValue.action, max_length: LIMITS.optionValue * 10 },
  };
  if (!otherDirection) return [text];
  const typed: PlainTextOption = { text: plainText(`Write the value I type below into ${targetName(view)}`, LIMITS.optionText), value: TYPED_VALUE };
  const otherRadio: PlainTextOption = {
    text: plainText('Other direction', LIMITS.optionText),
    description: plainText(otherDirectionWords(view), LIMITS.optionText),
    value: OTHER_DIRECTION,
  };
  return [
    {
      type: 'input',
      block_id: OVERRIDE_DIRECTION.block,
      label: plainText('What to write', LIMITS.inputLabel),
      element: { type: 'radio_buttons', action_id: OVERRIDE_DIRECTION.action, options: [typed, otherRadio], initial_option: typed },
    },
    { ...text, optional: true, hint: plainText('Leave empty when you choose the other direction.', LIMITS.inputHint) },
  ];
}

/**
 * Override: a value from the target's vocabulary (a select, ≤ 100 options) or typed (a text input),
 * or the other direction (value `OTHER_DIRECTION`), and a required reason.
 */
export function overrideModal(view: EscalationView, options: OverrideModalOptions = {}): ModalView {
  const otherDirection = options.otherDirection ?? Boolean(view.source && view.target);
  return {
    type: 'modal',
    callback_id: VIEWS.override,
    private_metadata: metadata(view, options.home),
    title: plainText('Override', LIMITS.modalTitle),
    submit: plainText('Override', LIMITS.modalButton),
    close: plainText('Cancel', LIMITS.modalButton),
    blocks: [
      summary(view),
      ...valueInputs(view, otherDirection),
      {
        type: 'input',
        block_id: INPUTS.overrideReason.block,
        label: plainText('Why', LIMITS.inputLabel),
        hint: plainText('Kept in the change log with your name.', LIMITS.inputHint),
        element: { type: 'plain_text_input', action_id: INPUTS.overrideReason.action, multiline: true, max_length: 1000 },
      },
    ],
  };
}

/** Ignore: this occurrence (until either value changes) or snooze 1–90 days; an optional reason. */
export function ignoreModal(view: EscalationView, options: { home?: boolean } = {}): ModalView {
  const occurrence: PlainTextOption = {
    text: plainText('This occurrence', LIMITS.optionText),
    description: plainText('Until either value changes', LIMITS.optionText),
    value: IGNORE_MODES.occurrence,
  };
  const snooze: PlainTextOption = {
    text: plainText('Snooze for a number of days', LIMITS.optionText),
    description: plainText('Then ask again if they still disagree', LIMITS.optionText),
    value: IGNORE_MODES.snooze,
  };
  return {
    type: 'modal',
    callback_id: VIEWS.ignore,
    private_metadata: metadata(view, options.home),
    title: plainText('Ignore', LIMITS.modalTitle),
    submit: plainText('Ignore', LIMITS.modalButton),
    close: plainText('Cancel', LIMITS.modalButton),
    blocks: [
      summary(view),
      {
        type: 'input',
        block_id: INPUTS.ignoreMode.block,
        label: plainText('How long', LIMITS.inputLabel),
        element: { type: 'radio_buttons', action_id: INPUTS.ignoreMode.action, options: [occurrence, snooze], initial_option: occurrence },
      },
      {
        type: 'input',
        block_id: INPUTS.ignoreDays.block,
        optional: true,
        label: plainText(`Days to snooze (${SNOOZE_DAYS.min}–${SNOOZE_DAYS.max})`, LIMITS.inputLabel),
        hint: plainText('Used only when snoozing.', LIMITS.inputHint),
        element: {
          type: 'number_input',
          action_id: INPUTS.ignoreDays.action,
          is_decimal_allowed: false,
          min_value: String(SNOOZE_DAYS.min),
          max_value: String(SNOOZE_DAYS.max),
          initial_value: String(SNOOZE_DAYS.initial),
        },
      },
      {
        type: 'input',
        block_id: INPUTS.ignoreReason.block,
        optional: true,
        label: plainText('Why (optional)', LIMITS.inputLabel),
        element: { type: 'plain_text_input', action_id: INPUTS.ignoreReason.action, multiline: true, max_length: 1000 },
      },
    ],
  };
}

/** One submitted input, as Slack sends it in `view.state.values` (Bolt's ViewStateValue fits). */
export interface SubmittedInput {
  type: string;
  value?: string | null;
  selected_option?: { value: string } | null;
}

/** `view.state.values`: block id → action id → input. */
export type ViewStateValues = Record<string, Record<string, SubmittedInput>>;

/** Errors for `ack({ response_action: 'errors', errors })`, keyed by block id. */
export interface SubmissionErrors {
  errors: Record<string, string>;
}

export interface OverrideSubmission {
  /** A value for the target field, or `OTHER_DIRECTION`. */
  value: string;
  reason: string;
}

export interface IgnoreSubmission {
  /** Null: this occurrence only. */
  snoozeDays: number | null;
  reason: string | null;
}

const read = (values: ViewStateValues, input: { block: string; action: string }) => values[input.block]?.[input.action];

/** Reads an Override submission: the value (or `OTHER_DIRECTION`) and the reason, or errors by block id. */
export function parseOverrideSubmission(values: ViewStateValues): OverrideSubmission | SubmissionErrors {
  const errors: Record<string, string> = {};
  const reason = read(values, INPUTS.overrideReason)?.value?.trim() ?? '';
  if (!reason) errors[INPUTS.overrideReason.block] = 'Say why: the change log keeps the reason with your name.';

  const input = read(values, INPUTS.overrideValue);
  const chosen = input?.selected_option?.value ?? input?.value?.trim() ?? '';
  const direction = read(values, OVERRIDE_DIRECTION)?.selected_option?.value;
  let value = chosen;
  if (direction === OTHER_DIRECTION) {
    if (chosen) errors[INPUTS.overrideValue.block] = 'Leave this empty to write the other direction, or choose to write the value you typed.';
    value = OTHER_DIRECTION;
  } else if (!chosen) {
    errors[INPUTS.overrideValue.block] = direction === undefined ? 'Choose or type the value to write.' : 'Type the value to write, or choose the other direction.';
  }
  return Object.keys(errors).length ? { errors } : { value, reason };
}

/** Reads an Ignore submission: snooze days (1–90) or null for this occurrence, and the optional reason. */
export function parseIgnoreSubmission(values: ViewStateValues): IgnoreSubmission | SubmissionErrors {
  const errors: Record<string, string> = {};
  const mode = read(values, INPUTS.ignoreMode)?.selected_option?.value;
  const reason = read(values, INPUTS.ignoreReason)?.value?.trim() || null;
  let snoozeDays: number | null = null;
  if (mode === IGNORE_MODES.snooze) {
    const text = read(values, INPUTS.ignoreDays)?.value?.trim() ?? '';
    const days = /^\d{1,3}$/.test(text) ? Number(text) : NaN;
    if (days >= SNOOZE_DAYS.min && days <= SNOOZE_DAYS.max) snoozeDays = days;
    else errors[INPUTS.ignoreDays.block] = `Snooze for ${SNOOZE_DAYS.min} to ${SNOOZE_DAYS.max} days, a whole number.`;
  } else if (mode !== IGNORE_MODES.occurrence) {
    errors[INPUTS.ignoreMode.block] = 'Choose this occurrence or a snooze.';
  }
  return Object.keys(errors).length ? { errors } : { snoozeDays, reason };
}
