import { describe, expect, it } from 'vitest';
import {
  contactBodyPart, customFieldValue, describeOpportunities, opportunityBodyPart, statusBody, toContactRecord, toOpportunityRecord,
  type GhlMapContext,
} from '../../../src/connectors/gohighlevel/mappers.ts';
import { ghlContactSchema, ghlOpportunitySchema, ghlPipelineSchema } from '../../../src/connectors/gohighlevel/schemas.ts';
import { fixture } from '../fixtures.ts';

const context: GhlMapContext = { locationId: 've9EPM428h8vShlRW1KT', stripeIdField: 'MgobCB14YMVKuE4Ka8p1', appUrl: 'https://app.gohighlevel.com' };
const opportunity = (n = 0) => ghlOpportunitySchema.parse(fixture('gohighlevel/opportunities-search-page-1').opportunities[n]);
const contact = () => ghlContactSchema.parse(fixture('gohighlevel/contact').contact);

/** What a body part adds to an empty body, or its error. */
function bodyOf(part: ReturnType<typeof opportunityBodyPart>): unknown {
  if (!part.ok) return part.error;
  const body: Record<string, unknown> = {};
  part.apply(body);
  return body;
}

describe('GoHighLevel mappers: records', () => {
  it('reads an opportunity with the email of its embedded contact, normalised', () => {
    const record = toOpportunityRecord(opportunity(), ['status', 'monetaryValue', 'pipelineStageId'], context);
    expect(record).toMatchObject({
      system: 'gohighlevel', object: 'opportunities', id: 'yWQobCRIhRguQtD2llvk',
      fields: { status: 'open', monetaryValue: 1200, pipelineStageId: 'e93ba61a-53b3-45e7-985a-c7732dbcdb69' },
      email: 'ada@lovelace.example',
    });
  });

  it('takes the Stripe customer id from the configured custom field and the contact id as an alias', () => {
    const record = toOpportunityRecord(opportunity(), [], context);
    expect(record.refs).toEqual({ stripe: 'cus_OXsUMnFtRBkpTQ' });
    expect(record.aliases).toEqual(['byMEV0NQinDhq8ZfiOi2']);
    expect(toOpportunityRecord(opportunity(), [], { ...context, stripeIdField: null }).refs).toEqual({});
  });

  it('keeps no field history and dates the record by its updatedAt', () => {
    const record = toOpportunityRecord(opportunity(), ['status'], context);
    expect(record.history).toEqual({});
    expect(record.updatedAt).toBe(Date.parse('2023-10-07T18:02:11.514Z'));
  });

  it('reads custom fields by id, lists as lists, and null for a field the record does not have', () => {
    const record = toOpportunityRecord(opportunity(), ['customFields.Rp0aDq4lHvoOYTe9KhXv', 'customFields.nope', 'assignedTo', 'unknownField'], context);
    expect(record.fields).toEqual({ 'customFields.Rp0aDq4lHvoOYTe9KhXv': ['annual', 'priority'], 'customFields.nope': null, assignedTo: 'zT46WSCPbudrq4zhWMk6', unknownField: null });
  });

  it('turns empty and odd custom field values into null or text', () => {
    expect([customFieldValue(''), customFieldValue(undefined), customFieldValue({ url: 'x' }), customFieldValue(3)]).toEqual([null, null, '{"url":"x"}', 3]);
  });

  it('links an opportunity to its board and a contact to its page in the location', () => {
    expect(toOpportunityRecord(opportunity(), [], context).url).toBe(
      'https://app.gohighlevel.com/v2/location/ve9EPM428h8vShlRW1KT/opportunities/list?opportunityId=yWQobCRIhRguQtD2llvk',
    );
    expect(toContactRecord(contact(), [], context).url).toBe('https://app.gohighlevel.com/v2/location/ve9EPM428h8vShlRW1KT/contacts/detail/byMEV0NQinDhq8ZfiOi2');
  });

  it('reads a contact with its email, tags and the Stripe id of its custom field', () => {
    const record = toContactRecord(contact(), ['email', 'tags', 'dnd'], context);
    expect(record).toMatchObject({
      object: 'contacts', email: 'ada@lovelace.example', refs: { stripe: 'cus_OXsUMnFtRBkpTQ' },
      fields: { email: 'ada@lovelace.example', tags: ['customer', 'annual'], dnd: false },
      updatedAt: Date.parse('2023-10-07T18:02:11.514Z'),
    });
  });
});

describe('GoHighLevel mappers: description', () => {
  const pipelines = fixture('gohighlevel/pipelines').pipelines.map((raw: unknown) => ghlPipelineSchema.parse(raw));

  it('gives stages per pipeline, in board order, as GoHighLevel refuses a stage of another pipeline', () => {
    const stage = describeOpportunities(pipelines).fields.find((f) => f.name === 'pipelineStageId');
    expect(stage?.scoped?.by).toBe('pipelineId');
    expect(stage?.scoped?.scopes.map((s) => [s.label, s.options.map((o) => o.label)])).toEqual([
      ['Sales', ['New Lead', 'Proposal Sent', 'Customer']],
      ['Partners', ['Applied']],
    ]);
  });

  it('offers the four statuses, pipelines by name, and a number for the value', () => {
    const fields = describeOpportunities(pipelines).fields;
    expect(fields.find((f) => f.name === 'status')?.options?.map((o) => o.value)).toEqual(['open', 'won', 'lost', 'abandoned']);
    expect(fields.find((f) => f.name === 'pipelineId')?.options).toEqual([
      { value: 'VDm7RPYC2GLUvdpKmBfC', label: 'Sales' }, { value: 'aWdODOBVOlH1RUFKWQke', label: 'Partners' },
    ]);
    expect(fields.find((f) => f.name === 'monetaryValue')).toMatchObject({ type: 'number', writable: true });
  });

  it('marks what the update endpoints do not take as read-only, and leaves custom fields open', () => {
    const description = describeOpportunities(pipelines);
    expect(description.fields.filter((f) => !f.writable).map((f) => f.name)).toEqual([
      'contactId', 'source', 'lostReasonId', 'createdAt', 'updatedAt', 'lastStatusChangeAt', 'lastStageChangeAt',
    ]);
    expect(description.openPrefixes).toEqual(['customFields.']);
  });
});

describe('GoHighLevel mappers: write bodies', () => {
  it('puts fields and custom fields where PUT /opportunities/{id} takes them', () => {
    expect(bodyOf(opportunityBodyPart('monetaryValue', '99.5'))).toEqual({ monetaryValue: 99.5 });
    expect(bodyOf(opportunityBodyPart('pipelineStageId', 'stage-1'))).toEqual({ pipelineStageId: 'stage-1' });
    expect(bodyOf(opportunityBodyPart('customFields.MgobCB14YMVKuE4Ka8p1', 'cus_1'))).toEqual({ customFields: [{ id: 'MgobCB14YMVKuE4Ka8p1', field_value: 'cus_1' }] });
    expect(bodyOf(opportunityBodyPart('customFields.MgobCB14YMVKuE4Ka8p1', null))).toEqual({ customFields: [{ id: 'MgobCB14YMVKuE4Ka8p1', field_value: '' }] });
  });

  it('refuses what the endpoint would refuse, before any call', () => {
    expect(bodyOf(opportunityBodyPart('updatedAt', 'x'))).toMatch(/cannot be written/);
    expect(bodyOf(opportunityBodyPart('monetaryValue', null))).toMatch(/must be a number/);
    expect(statusBody('all')).toMatchObject({ ok: false });
    expect(statusBody('won')).toEqual({ ok: true, body: { status: 'won' } });
  });

  it('writes a contact\'s tags as a list and clears a nullable field with null', () => {
    const body: Record<string, unknown> = {};
    for (const part of [contactBodyPart('tags', 'a; b'), contactBodyPart('phone', null)]) if (part.ok) part.apply(body);
    expect(body).toEqual({ tags: ['a', 'b'], phone: null });
  });
});
