import type { InputBlock, PlainTextOption, RadioButtons, StaticSelect } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { OTHER_DIRECTION as DECIDE_OTHER_DIRECTION } from '../../../src/decisions/decide.ts';
import { INPUTS, VIEWS } from '../../../src/slack/ids.ts';
import {
  OTHER_DIRECTION, OVERRIDE_DIRECTION, ignoreModal, overrideModal, parseIgnoreSubmission, parseOverrideSubmission, type ViewStateValues,
} from '../../../src/slack/messages/override-modal.ts';
import { limitViolations } from './check-limits.ts';
import { escalation } from './fixtures.ts';

const input = (blocks: unknown[], blockId: string) => blocks.find((b): b is InputBlock => (b as InputBlock).block_id === blockId);
const selected = (value: string) => ({ type: 'static_select', selected_option: { value } });
const typed = (value: string | null) => ({ type: 'plain_text_input', value });

describe('overrideModal', () => {
  it('is the override modal and carries the item id in private_metadata', () => {
    const modal = overrideModal(escalation());
    expect(modal.callback_id).toBe(VIEWS.override);
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({ itemId: '42' });
  });

  it('offers the target’s vocabulary in a select, the other direction first', () => {
    const select = input(overrideModal(escalation()).blocks, INPUTS.overrideValue.block)?.element as StaticSelect;
    expect(select.type).toBe('static_select');
    expect(select.action_id).toBe(INPUTS.overrideValue.action);
    expect(select.options?.map((o) => o.value)).toEqual([OTHER_DIRECTION, 'presentationscheduled', 'closedwon', 'closedlost']);
    expect((select.options?.[0] as PlainTextOption).text.text).toBe('⇄ Other direction: Set Stripe status to Presentation Scheduled');
    expect((select.options?.[1] as PlainTextOption).text.text).toBe('Presentation Scheduled (current)');
  });

  it('leaves the other direction out when the caller says the source cannot be written', () => {
    const select = input(overrideModal(escalation(), { otherDirection: false }).blocks, INPUTS.overrideValue.block)?.element as StaticSelect;
    expect(select.options?.map((o) => o.value)).not.toContain(OTHER_DIRECTION);
  });

  it('keeps a huge vocabulary to 100 options with short labels', () => {
    const targetVocabulary = Array.from({ length: 250 }, (_, i) => ({ value: `stage${i}`, label: `Stage ${i} ${'x'.repeat(100)}` }));
    const modal = overrideModal(escalation({ targetVocabulary }));
    const block = input(modal.blocks, INPUTS.overrideValue.block);
    expect((block?.element as StaticSelect).options).toHaveLength(100);
    expect(block?.hint?.text).toBe('Showing the first 99 of 250 values.');
    expect(limitViolations(modal as never, 'view')).toEqual([]);
  });

  it('asks for a typed value, with a radio for the other direction, when there is no vocabulary', () => {
    const modal = overrideModal(escalation({ targetVocabulary: null }));
    const value = input(modal.blocks, INPUTS.overrideValue.block);
    expect(value?.element.type).toBe('plain_text_input');
    expect(value?.optional).toBe(true);
    const radio = input(modal.blocks, OVERRIDE_DIRECTION.block)?.element as RadioButtons;
    expect(radio.options.map((o) => o.value)).toContain(OTHER_DIRECTION);
  });

  it('requires a typed value and offers no direction when the item has only one record', () => {
    const modal = overrideModal(escalation({ targetVocabulary: null, source: null }));
    expect(input(modal.blocks, INPUTS.overrideValue.block)?.optional).toBeUndefined();
    expect(input(modal.blocks, OVERRIDE_DIRECTION.block)).toBeUndefined();
  });

  it('requires a reason in a multiline input', () => {
    const reason = input(overrideModal(escalation()).blocks, INPUTS.overrideReason.block);
    expect(reason?.optional).toBeUndefined();
    expect(reason?.element).toMatchObject({ type: 'plain_text_input', action_id: INPUTS.overrideReason.action, multiline: true });
  });

  it('uses the same other-direction value as the decision that acts on it', () => {
    expect(OTHER_DIRECTION).toBe(DECIDE_OTHER_DIRECTION);
  });
});

describe('parseOverrideSubmission', () => {
  const state = (value: object, reason: string | null, direction?: string): ViewStateValues => ({
    [INPUTS.overrideValue.block]: { [INPUTS.overrideValue.action]: value as never },
    [INPUTS.overrideReason.block]: { [INPUTS.overrideReason.action]: typed(reason) },
    ...(direction ? { [OVERRIDE_DIRECTION.block]: { [OVERRIDE_DIRECTION.action]: { type: 'radio_buttons', selected_option: { value: direction } } } } : {}),
  });

  it('reads the chosen value and the reason', () => {
    expect(parseOverrideSubmission(state(selected('closedlost'), '  churned in March '))).toEqual({ value: 'closedlost', reason: 'churned in March' });
  });

  it('reads a typed value', () => {
    expect(parseOverrideSubmission(state(typed(' custom '), 'why'))).toEqual({ value: 'custom', reason: 'why' });
  });

  it('reads the other direction from the radio', () => {
    expect(parseOverrideSubmission(state(typed(null), 'why', OTHER_DIRECTION))).toEqual({ value: OTHER_DIRECTION, reason: 'why' });
  });

  it('refuses a missing reason, keyed by the reason block', () => {
    expect(parseOverrideSubmission(state(selected('closedlost'), '   '))).toEqual({ errors: { [INPUTS.overrideReason.block]: expect.any(String) } });
  });

  it('refuses a missing value, keyed by the value block', () => {
    expect(parseOverrideSubmission(state(typed(''), 'why'))).toEqual({ errors: { [INPUTS.overrideValue.block]: expect.any(String) } });
  });

  it('refuses a typed value together with the other direction', () => {
    expect(parseOverrideSubmission(state(typed('x'), 'why', OTHER_DIRECTION))).toEqual({ errors: { [INPUTS.overrideValue.block]: expect.any(String) } });
  });
});

describe('ignoreModal', () => {
  it('is the ignore modal and carries the item id in private_metadata', () => {
    const modal = ignoreModal(escalation());
    expect(modal.callback_id).toBe(VIEWS.ignore);
    expect(JSON.parse(modal.private_metadata ?? '')).toEqual({ itemId: '42' });
  });

  it('offers this occurrence or a snooze, a day count of 1 to 90, and an optional reason', () => {
    const modal = ignoreModal(escalation());
    expect((input(modal.blocks, INPUTS.ignoreMode.block)?.element as RadioButtons).options.map((o) => o.value)).toEqual(['occurrence', 'snooze']);
    expect(input(modal.blocks, INPUTS.ignoreDays.block)?.element).toMatchObject({ type: 'number_input', min_value: '1', max_value: '90', is_decimal_allowed: false });
    expect(input(modal.blocks, INPUTS.ignoreReason.block)?.optional).toBe(true);
    expect(limitViolations(modal as never, 'view')).toEqual([]);
  });
});

describe('parseIgnoreSubmission', () => {
  const state = (mode: string | null, days: string | null, reason: string | null = null): ViewStateValues => ({
    [INPUTS.ignoreMode.block]: { [INPUTS.ignoreMode.action]: { type: 'radio_buttons', selected_option: mode ? { value: mode } : null } },
    [INPUTS.ignoreDays.block]: { [INPUTS.ignoreDays.action]: { type: 'number_input', value: days } },
    [INPUTS.ignoreReason.block]: { [INPUTS.ignoreReason.action]: typed(reason) },
  });

  it('reads this occurrence as no snooze, whatever the day count says', () => {
    expect(parseIgnoreSubmission(state('occurrence', '500', ' duplicate '))).toEqual({ snoozeDays: null, reason: 'duplicate' });
  });

  it('reads a snooze and its days', () => {
    expect(parseIgnoreSubmission(state('snooze', '14'))).toEqual({ snoozeDays: 14, reason: null });
  });

  it.each(['0', '91', '', '7.5', '-3', 'abc'])('refuses a snooze of %j days, keyed by the days block', (days) => {
    expect(parseIgnoreSubmission(state('snooze', days))).toEqual({ errors: { [INPUTS.ignoreDays.block]: expect.stringContaining('1 to 90') } });
  });

  it('refuses a submission without a mode', () => {
    expect(parseIgnoreSubmission(state(null, '7'))).toEqual({ errors: { [INPUTS.ignoreMode.block]: expect.any(String) } });
  });
});
