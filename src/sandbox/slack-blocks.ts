/**
 * The Block Kit limits Slack enforces that a Recon message or view could plausibly cross, with
 * Slack's own error lines (`[ERROR] ... [json-pointer:/blocks/0/text/text]`). Not a full Block Kit
 * validator: unknown block and element types pass, so a valid payload is never refused here.
 */

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

class Problems {
  readonly lines: string[] = [];
  add(pointer: string, message: string): void {
    this.lines.push(`[ERROR] ${message} [json-pointer:${pointer}]`);
  }
  /** A string field no longer than `max`; `required` also refuses it missing or empty. */
  text(value: unknown, pointer: string, max: number, required = false): void {
    if (value === undefined) {
      if (required) this.add(pointer, 'missing required field');
      return;
    }
    if (typeof value !== 'string') this.add(pointer, 'must be a string');
    else if (required && value.length === 0) this.add(pointer, 'must be more than 0 characters');
    else if (value.length > max) this.add(pointer, `must be less than ${max + 1} characters`);
  }
}

/** A composition text object; `plainOnly` where Slack takes plain_text only (headers, buttons, titles). */
function textObject(p: Problems, value: unknown, pointer: string, max: number, plainOnly = false): void {
  if (!isObject(value)) {
    p.add(pointer, 'must be a text object');
    return;
  }
  const allowed = plainOnly ? ['plain_text'] : ['plain_text', 'mrkdwn'];
  if (!allowed.includes(String(value.type))) p.add(`${pointer}/type`, `must be one of ${allowed.join(', ')}`);
  p.text(value.text, `${pointer}/text`, max, true);
}

function confirmObject(p: Problems, value: unknown, pointer: string): void {
  if (value === undefined) return;
  if (!isObject(value)) return p.add(pointer, 'must be a confirmation dialog object');
  textObject(p, value.title, `${pointer}/title`, 100, true);
  textObject(p, value.text, `${pointer}/text`, 300);
  textObject(p, value.confirm, `${pointer}/confirm`, 30, true);
  textObject(p, value.deny, `${pointer}/deny`, 30, true);
}

function element(p: Problems, value: unknown, pointer: string): void {
  if (!isObject(value)) return p.add(pointer, 'must be an element object');
  p.text(value.action_id, `${pointer}/action_id`, 255);
  confirmObject(p, value.confirm, `${pointer}/confirm`);
  if (value.type === 'button') {
    textObject(p, value.text, `${pointer}/text`, 75, true);
    p.text(value.value, `${pointer}/value`, 2000);
    p.text(value.url, `${pointer}/url`, 3000);
    if (value.style !== undefined && value.style !== 'primary' && value.style !== 'danger') p.add(`${pointer}/style`, 'must be one of primary, danger');
  }
}

function block(p: Problems, value: unknown, pointer: string): void {
  if (!isObject(value)) return p.add(pointer, 'must be a block object');
  if (typeof value.type !== 'string') return p.add(`${pointer}/type`, 'missing required field');
  p.text(value.block_id, `${pointer}/block_id`, 255);
  switch (value.type) {
    case 'section': {
      if (value.text === undefined && value.fields === undefined) p.add(pointer, 'must provide either text or fields');
      if (value.text !== undefined) textObject(p, value.text, `${pointer}/text`, 3000);
      if (value.fields !== undefined) {
        if (!Array.isArray(value.fields)) p.add(`${pointer}/fields`, 'must be an array');
        else {
          if (value.fields.length > 10) p.add(`${pointer}/fields`, 'no more than 10 items allowed');
          value.fields.forEach((field, i) => textObject(p, field, `${pointer}/fields/${i}`, 2000));
        }
      }
      if (value.accessory !== undefined) element(p, value.accessory, `${pointer}/accessory`);
      break;
    }
    case 'header':
      textObject(p, value.text, `${pointer}/text`, 150, true);
      break;
    case 'actions':
    case 'context': {
      const max = value.type === 'actions' ? 25 : 10;
      if (!Array.isArray(value.elements) || value.elements.length === 0) p.add(`${pointer}/elements`, 'must provide at least 1 item');
      else {
        if (value.elements.length > max) p.add(`${pointer}/elements`, `no more than ${max} items allowed`);
        const actionIds = new Set<string>();
        value.elements.forEach((item, i) => {
          if (value.type === 'context') {
            if (isObject(item) && (item.type === 'plain_text' || item.type === 'mrkdwn')) textObject(p, item, `${pointer}/elements/${i}`, 3000);
            return;
          }
          element(p, item, `${pointer}/elements/${i}`);
          const actionId = isObject(item) ? item.action_id : undefined;
          if (typeof actionId === 'string') {
            if (actionIds.has(actionId)) p.add(`${pointer}/elements/${i}/action_id`, `duplicate action_id "${actionId}"`);
            actionIds.add(actionId);
          }
        });
      }
      break;
    }
    case 'input':
      textObject(p, value.label, `${pointer}/label`, 2000, true);
      if (value.hint !== undefined) textObject(p, value.hint, `${pointer}/hint`, 2000, true);
      if (value.element === undefined) p.add(`${pointer}/element`, 'missing required field');
      else element(p, value.element, `${pointer}/element`);
      break;
  }
}

/** Problems with a list of blocks: at most 50 in a message, 100 in a view; block ids unique. */
export function blockProblems(blocks: unknown, surface: 'message' | 'view', pointer = '/blocks'): string[] {
  const p = new Problems();
  if (!Array.isArray(blocks)) {
    p.add(pointer, 'must be an array');
    return p.lines;
  }
  const max = surface === 'message' ? 50 : 100;
  if (blocks.length > max) p.add(pointer, `no more than ${max} items allowed`);
  const blockIds = new Set<string>();
  blocks.forEach((item, i) => {
    block(p, item, `${pointer}/${i}`);
    const blockId = isObject(item) ? item.block_id : undefined;
    if (typeof blockId === 'string') {
      if (blockIds.has(blockId)) p.add(`${pointer}/${i}/block_id`, `duplicate block_id "${blockId}"`);
      blockIds.add(blockId);
    }
  });
  return p.lines;
}

/** Problems with a modal or home view payload, including its blocks. */
export function viewProblems(view: Json, expected: 'modal' | 'home' | 'any'): string[] {
  const p = new Problems();
  const type = view.type;
  if (type !== 'modal' && type !== 'home') p.add('/view/type', 'must be one of modal, home');
  else if (expected !== 'any' && type !== expected) p.add('/view/type', `must be ${expected}`);
  if (type === 'modal') {
    textObject(p, view.title, '/view/title', 24, true);
    if (view.submit !== undefined && view.submit !== null) textObject(p, view.submit, '/view/submit', 24, true);
    if (view.close !== undefined && view.close !== null) textObject(p, view.close, '/view/close', 24, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObject(b) && b.type === 'input');
    if (hasInput && (view.submit === undefined || view.submit === null)) p.add('/view/submit', 'must provide submit when view has input blocks');
  }
  p.text(view.callback_id, '/view/callback_id', 255);
  p.text(view.private_metadata, '/view/private_metadata', 3000);
  p.text(view.external_id, '/view/external_id', 255);
  return [...p.lines, ...blockProblems(view.blocks, 'view', '/view/blocks')];
}
