import { describe, expect, it } from 'vitest';
import {
  batchUpdateOutcomes, changedByOf, DEFAULT_NUMBER_PROPERTIES, propertyValue, stagesVocabulary, toHubSpotRecord, toPropertyString,
  type HubSpotMapContext,
} from '../../../src/connectors/hubspot/mappers.ts';
import { hubspotBatchResponseSchema, hubspotObjectSchema, hubspotPipelineSchema } from '../../../src/connectors/hubspot/schemas.ts';
import { parseRaw } from '../../../src/connectors/raw.ts';
import { fixture } from '../fixtures.ts';

const context: HubSpotMapContext = {
  stripeIdProperty: 'stripe_customer_id',
  numberProperties: new Set(DEFAULT_NUMBER_PROPERTIES),
  portalId: '62515',
  ownSourceId: '1234567',
};
const numbers = context.numberProperties;

const deal = (index: number) => parseRaw('hubspot', 'deal', hubspotObjectSchema, fixture('hubspot/deals-page-1').results[index]);
const dealWithHistory = () => parseRaw('hubspot', 'deal', hubspotObjectSchema, fixture('hubspot/deals-batch-read-history').results[0]);
const contactEmails = new Map<string, string | null>([['501', null], ['502', ' Ada@Lovelace.example '], ['503', 'grace@hopper.example']]);

describe('toHubSpotRecord', () => {
  it('maps a deal with its associated contacts and Stripe id', () => {
    expect(toHubSpotRecord('deals', deal(0), ['dealstage', 'amount', 'closedate'], context, contactEmails)).toEqual({
      system: 'hubspot',
      object: 'deals',
      id: '901',
      fields: { dealstage: 'closedwon', amount: 40, closedate: '2023-10-31T12:00:00Z' },
      email: 'ada@lovelace.example',
      refs: { stripe: 'cus_Oaxlz8kB0PJWGa' },
      aliases: ['501', '502'],
      updatedAt: Date.parse('2023-10-07T18:02:11.514Z'),
      history: {},
      url: 'https://app.hubspot.com/contacts/62515/record/0-3/901',
    });
  });

  it('has no Stripe ref when the property is empty', () => {
    expect(toHubSpotRecord('deals', deal(1), [], context, contactEmails).refs).toEqual({});
  });

  it('has no email when no associated contact has one', () => {
    expect(toHubSpotRecord('deals', deal(0), [], context, new Map([['501', null]])).email).toBeNull();
  });

  it('takes the last change of each field from its newest history entry', () => {
    const record = toHubSpotRecord('deals', dealWithHistory(), ['dealstage', 'amount'], context);
    expect(record.history).toEqual({
      dealstage: { changedAt: Date.parse('2023-10-07T18:02:11.514Z'), changedBy: 'human', sourceType: 'CRM_UI' },
      amount: { changedAt: Date.parse('2023-09-07T17:29:03.883Z'), changedBy: 'recon', sourceType: 'INTEGRATION' },
    });
  });

  it('has no URL without a portal id', () => {
    expect(toHubSpotRecord('deals', deal(0), [], { ...context, portalId: null }).url).toBeNull();
  });

  it('maps a contact with the email of its email property', () => {
    const raw = parseRaw('hubspot', 'contact', hubspotObjectSchema, fixture('hubspot/contacts-page').results[1]);
    const record = toHubSpotRecord('contacts', raw, ['firstname'], context);
    expect(record).toMatchObject({
      object: 'contacts', id: '502', email: 'ada@lovelace.example', fields: { firstname: 'Ada' }, aliases: [],
      url: 'https://app.hubspot.com/contacts/62515/record/0-1/502',
    });
  });
});

describe('propertyValue', () => {
  it('reads numeric properties as numbers', () => {
    expect(propertyValue('amount', '1200.50', numbers)).toBe(1200.5);
  });

  it('reads empty and missing values as null', () => {
    expect(propertyValue('amount', '', numbers)).toBeNull();
    expect(propertyValue('dealstage', null, numbers)).toBeNull();
    expect(propertyValue('dealstage', undefined, numbers)).toBeNull();
  });

  it('keeps a non-number in a numeric property as text', () => {
    expect(propertyValue('amount', 'n/a', numbers)).toBe('n/a');
  });

  it('leaves other properties as strings', () => {
    expect(propertyValue('hs_object_id', '901', numbers)).toBe('901');
  });
});

describe('changedByOf', () => {
  it('knows Recon by its own app id, whatever the source type', () => {
    expect(changedByOf({ sourceType: 'CRM_UI', sourceId: '1234567' }, '1234567')).toBe('recon');
  });

  it('takes edits in the app, the mobile apps and imports for a person', () => {
    for (const sourceType of ['CRM_UI', 'MOBILE_IOS', 'MOBILE_ANDROID', 'IMPORT', 'SALES', 'EMAIL']) {
      expect(changedByOf({ sourceType, sourceId: 'userId:1' }, '1234567')).toBe('human');
    }
  });

  it('takes apps, API clients and workflows for an integration', () => {
    for (const sourceType of ['INTEGRATION', 'API', 'AUTOMATION_PLATFORM', 'WORKFLOWS', 'MIGRATION', 'BATCH_UPDATE', 'CALCULATED']) {
      expect(changedByOf({ sourceType, sourceId: '99' }, '1234567')).toBe('integration');
    }
  });

  it('does not guess about a source type it does not know', () => {
    expect(changedByOf({ sourceType: 'FORM' }, null)).toBe('unknown');
  });
});

describe('stagesVocabulary', () => {
  it('lists live stages of every pipeline in display order, labelled with the pipeline', () => {
    const pipelines = fixture('hubspot/pipelines-deals').results.map((raw: unknown) => parseRaw('hubspot', 'pipeline', hubspotPipelineSchema, raw));
    expect(stagesVocabulary(pipelines).values).toEqual([
      { value: 'appointmentscheduled', label: 'Sales Pipeline: Appointment scheduled' },
      { value: 'closedwon', label: 'Sales Pipeline: Closed won' },
      { value: 'closedlost', label: 'Sales Pipeline: Closed lost' },
      { value: '1234567', label: 'Renewals: Renewal due' },
    ]);
  });
});

describe('toPropertyString', () => {
  it('writes every value as HubSpot stores it', () => {
    expect(toPropertyString(1200.5)).toBe('1200.5');
    expect(toPropertyString(null)).toBe('');
    expect(toPropertyString(true)).toBe('true');
    expect(toPropertyString(['a', 'b'])).toBe('a;b');
  });
});

describe('batchUpdateOutcomes', () => {
  it('fails the ids a 207 error names and passes the ids in the results', () => {
    const body = hubspotBatchResponseSchema.parse(fixture('hubspot/deals-batch-update-207'));
    const outcomes = batchUpdateOutcomes(['901', '999'], body.results, body.errors ?? []);
    expect(outcomes.get('901')).toEqual({ ok: true });
    expect(outcomes.get('999')).toEqual({
      ok: false, retryable: false,
      error: 'hubspot: OBJECT_NOT_FOUND: Could not get some DEAL objects, they may be deleted or not exist. Check that ids are valid.',
    });
  });

  it('gives an error that names no ids to every record without a result', () => {
    const outcomes = batchUpdateOutcomes(['1', '2'], [{ id: '1' }], [
      { status: 'error', category: 'RATE_LIMITS', message: 'try later' },
    ]);
    expect(outcomes.get('1')).toEqual({ ok: true });
    expect(outcomes.get('2')).toEqual({ ok: false, retryable: true, error: 'hubspot: RATE_LIMITS: try later' });
  });
});
