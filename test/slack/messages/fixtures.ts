import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { EscalationView } from '../../../src/slack/messages/views.ts';

/** A high-value customer paid in Stripe while the HubSpot deal still sits at Presentation Scheduled. */
export function escalation(overrides: Partial<EscalationView> = {}): EscalationView {
  return {
    itemId: '42',
    check: 'payment-status',
    category: 'paid_but_not_marked',
    reason: 'high_value',
    explanation: 'Lifetime value 12,000 is above the 10,000 threshold.',
    source: {
      system: 'stripe', object: 'customers', id: 'cus_123', field: 'status', value: 'active',
      email: 'ada@example.com', url: 'https://dashboard.stripe.com/customers/cus_123',
    },
    target: {
      system: 'hubspot', object: 'deals', id: '10012', field: 'dealstage', value: 'presentationscheduled', valueLabel: 'Presentation Scheduled',
      email: 'ada@example.com', url: 'https://app.hubspot.com/contacts/1/deal/10012',
    },
    suggestion: [{ system: 'hubspot', object: 'deals', id: '10012', field: 'dealstage', to: 'closedwon', toLabel: 'Closed Won', financial: false }],
    candidates: [],
    targetVocabulary: [
      { value: 'presentationscheduled', label: 'Presentation Scheduled' },
      { value: 'closedwon', label: 'Closed Won' },
      { value: 'closedlost', label: 'Closed Lost' },
    ],
    openedAt: new Date('2026-11-20T09:00:00Z'),
    status: 'open',
    ...overrides,
  };
}

export const NOW = new Date('2026-11-23T09:00:00Z');

/** Every string under a `text` key, anywhere in the blocks: what a person can read. */
export function allText(value: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'text' && typeof child === 'string') out.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  return out.join('\n');
}

export const actionsBlocks = (blocks: KnownBlock[]) => blocks.filter((b): b is ActionsBlock => b.type === 'actions');
export const buttons = (blocks: KnownBlock[]) => actionsBlocks(blocks).flatMap((b) => b.elements.filter((e): e is Button => e.type === 'button'));
