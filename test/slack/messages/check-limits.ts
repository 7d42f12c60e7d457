/**
 * Walks a Block Kit surface and lists every place it breaks Slack's limits (or would render user data
 * as markup). An empty list means Slack would accept it.
 */
import { LIMITS } from '../../../src/slack/messages/limits.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TOKEN = /^<(?:https?:\/\/[^\s<>|]+\|[^<>]+|@[UW][A-Z0-9]+|!date\^\d+\^[^|<>]+\|[^<>]+)>/;

export function mrkdwnProblems(text: string): string[] {
  const problems: string[] = [];
  for (let i = text.indexOf('&'); i !== -1; i = text.indexOf('&', i + 1)) {
    if (!/^&(?:amp|lt|gt);/.test(text.slice(i, i + 5))) problems.push(`raw & at ${i}`);
  }
  for (let i = text.indexOf('<'); i !== -1; i = text.indexOf('<', i + 1)) {
    const token = TOKEN.exec(text.slice(i));
    if (!token) problems.push(`stray < at ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
    else i += token[0].length - 1;
  }
  for (let i = text.indexOf('>'); i !== -1; i = text.indexOf('>', i + 1)) {
    const open = text.lastIndexOf('<', i);
    if (open === -1 || !TOKEN.test(text.slice(open)) || text.indexOf('>', open) !== i) problems.push(`stray > at ${i}`);
  }
  return problems;
}

export function limitViolations(surface: Obj, kind: 'message' | 'view'): string[] {
  const v: string[] = [];
  const len = (where: string, text: unknown, max: number, min = 1) => {
    if (typeof text !== 'string') return v.push(`${where}: not a string`);
    if (text.length < min || text.length > max) v.push(`${where}: length ${text.length} not in ${min}..${max}`);
    if (min > 0 && typeof text === 'string' && text.trim() === '') v.push(`${where}: blank`);
    if (LONE_SURROGATE.test(text)) v.push(`${where}: lone surrogate`);
  };
  const textObject = (where: string, t: unknown, max: number, plainOnly = false) => {
    if (!isObj(t)) return v.push(`${where}: missing text object`);
    if (t.type !== 'plain_text' && (plainOnly || t.type !== 'mrkdwn')) v.push(`${where}: type ${String(t.type)}`);
    len(`${where}.text`, t.text, max);
    if (t.type === 'mrkdwn' && typeof t.text === 'string') for (const p of mrkdwnProblems(t.text)) v.push(`${where}: ${p}`);
  };
  const option = (where: string, o: unknown, values: Set<string>) => {
    if (!isObj(o)) return v.push(`${where}: not an option`);
    textObject(`${where}.text`, o.text, LIMITS.optionText);
    if (o.description !== undefined) textObject(`${where}.description`, o.description, LIMITS.optionText);
    len(`${where}.value`, o.value, LIMITS.optionValue);
    if (values.has(String(o.value))) v.push(`${where}: duplicate value`);
    values.add(String(o.value));
  };
  const element = (where: string, e: unknown) => {
    if (!isObj(e)) return v.push(`${where}: not an element`);
    if (e.action_id !== undefined) len(`${where}.action_id`, e.action_id, LIMITS.actionId);
    if (e.placeholder !== undefined) textObject(`${where}.placeholder`, e.placeholder, LIMITS.placeholder, true);
    switch (e.type) {
      case 'button':
        textObject(`${where}.text`, e.text, LIMITS.buttonText, true);
        if (e.value !== undefined) len(`${where}.value`, e.value, LIMITS.value);
        if (e.url !== undefined) len(`${where}.url`, e.url, LIMITS.buttonUrl);
        if (e.confirm !== undefined) {
          const c = e.confirm as Obj;
          if (c.title !== undefined) textObject(`${where}.confirm.title`, c.title, LIMITS.confirmTitle, true);
          textObject(`${where}.confirm.text`, c.text, LIMITS.confirmText);
          if (c.confirm !== undefined) textObject(`${where}.confirm.confirm`, c.confirm, LIMITS.confirmButton, true);
          if (c.deny !== undefined) textObject(`${where}.confirm.deny`, c.deny, LIMITS.confirmButton, true);
        }
        break;
      case 'static_select':
      case 'radio_buttons': {
        const options = e.options as unknown[];
        const max = e.type === 'radio_buttons' ? LIMITS.radioOptions : LIMITS.optionsPerSelect;
        if (!Array.isArray(options) || options.length < 1 || options.length > max) v.push(`${where}.options: ${Array.isArray(options) ? options.length : 'missing'} not in 1..${max}`);
        const values = new Set<string>();
        (options ?? []).forEach((o, i) => option(`${where}.options[${i}]`, o, values));
        if (e.initial_option !== undefined && !values.has(String((e.initial_option as Obj).value))) v.push(`${where}.initial_option: not among the options`);
        break;
      }
      case 'plain_text_input':
      case 'number_input':
        break;
      default:
        v.push(`${where}: unexpected element ${String(e.type)}`);
    }
  };

  const blocks = surface.blocks;
  if (!Array.isArray(blocks)) return ['blocks: missing'];
  const maxBlocks = kind === 'message' ? LIMITS.blocksPerMessage : LIMITS.blocksPerView;
  if (blocks.length < 1 || blocks.length > maxBlocks) v.push(`blocks: ${blocks.length} not in 1..${maxBlocks}`);
  if (kind === 'message') {
    len('text', surface.text, LIMITS.messageText);
    if (typeof surface.text === 'string') for (const p of mrkdwnProblems(surface.text)) v.push(`text: ${p}`);
  } else {
    if (surface.type === 'modal') {
      textObject('title', surface.title, LIMITS.modalTitle, true);
      if (surface.submit !== undefined) textObject('submit', surface.submit, LIMITS.modalButton, true);
      if (surface.close !== undefined) textObject('close', surface.close, LIMITS.modalButton, true);
    } else if (surface.type !== 'home') v.push(`type: ${String(surface.type)}`);
    if (surface.callback_id !== undefined) len('callback_id', surface.callback_id, LIMITS.callbackId);
    if (surface.private_metadata !== undefined) len('private_metadata', surface.private_metadata, LIMITS.privateMetadata);
  }
  const blockIds = new Set<string>();
  blocks.forEach((b: unknown, i) => {
    const where = `blocks[${i}]`;
    if (!isObj(b)) return v.push(`${where}: not a block`);
    if (b.block_id !== undefined) {
      len(`${where}.block_id`, b.block_id, LIMITS.blockId);
      if (blockIds.has(String(b.block_id))) v.push(`${where}: duplicate block_id`);
      blockIds.add(String(b.block_id));
    }
    switch (b.type) {
      case 'header':
        textObject(`${where}.text`, b.text, LIMITS.headerText, true);
        break;
      case 'section': {
        if (b.text === undefined && b.fields === undefined) v.push(`${where}: neither text nor fields`);
        if (b.text !== undefined) textObject(`${where}.text`, b.text, LIMITS.sectionText);
        const fields = b.fields as unknown[] | undefined;
        if (fields !== undefined) {
          if (fields.length < 1 || fields.length > LIMITS.fieldsPerSection) v.push(`${where}.fields: ${fields.length}`);
          fields.forEach((f, j) => textObject(`${where}.fields[${j}]`, f, LIMITS.fieldText));
        }
        if (b.accessory !== undefined) element(`${where}.accessory`, b.accessory);
        break;
      }
      case 'context': {
        const elements = b.elements as unknown[];
        if (elements.length < 1 || elements.length > LIMITS.contextElements) v.push(`${where}.elements: ${elements.length}`);
        elements.forEach((e, j) => textObject(`${where}.elements[${j}]`, e, LIMITS.text));
        break;
      }
      case 'actions': {
        const elements = b.elements as Obj[];
        if (elements.length < 1 || elements.length > LIMITS.actionsElements) v.push(`${where}.elements: ${elements.length}`);
        const ids = new Set<string>();
        elements.forEach((e, j) => {
          element(`${where}.elements[${j}]`, e);
          if (ids.has(String(e.action_id))) v.push(`${where}: duplicate action_id ${String(e.action_id)}`);
          ids.add(String(e.action_id));
        });
        break;
      }
      case 'input':
        if (kind !== 'view') v.push(`${where}: input outside a view`);
        textObject(`${where}.label`, b.label, LIMITS.inputLabel, true);
        if (b.hint !== undefined) textObject(`${where}.hint`, b.hint, LIMITS.inputHint, true);
        element(`${where}.element`, b.element);
        break;
      case 'divider':
        break;
      default:
        v.push(`${where}: unexpected block ${String(b.type)}`);
    }
  });
  return v;
}
