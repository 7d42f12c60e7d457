/** The GoHighLevel fixtures stand for real bodies, so they hold to GoHighLevel's published specs. */
import { describe, expect, it } from 'vitest';
import { ghlSpec } from '../../support/gohighlevel-spec.ts';
import { ref, responseSchema, shapeProblems } from '../../support/openapi-shape.ts';
import { fixture } from '../fixtures.ts';

const opportunities = ghlSpec('opportunities.json');
const contacts = ghlSpec('contacts.json');

describe('GoHighLevel fixtures agree with the published specs', () => {
  it.each(['gohighlevel/opportunities-search-page-1', 'gohighlevel/opportunities-search-page-2'])('%s is a search answer', (name) => {
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/search', 'get', '200'), fixture(name))).toEqual([]);
  });

  it('gohighlevel/opportunity is a Get Opportunity answer', () => {
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/{id}', 'get', '200'), fixture('gohighlevel/opportunity'))).toEqual([]);
  });

  it('gohighlevel/pipelines is a Get Pipelines answer', () => {
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/pipelines', 'get', '200'), fixture('gohighlevel/pipelines'))).toEqual([]);
  });

  it('gohighlevel/status-updated is an Update Opportunity Status answer', () => {
    expect(shapeProblems(opportunities, responseSchema(opportunities, '/opportunities/{id}/status', 'put', '200'), fixture('gohighlevel/status-updated'))).toEqual([]);
  });

  it('gohighlevel/contacts-page is a Get Contacts answer', () => {
    expect(shapeProblems(contacts, responseSchema(contacts, '/contacts/', 'get', '200'), fixture('gohighlevel/contacts-page'))).toEqual([]);
  });

  it('gohighlevel/contact is a Get Contact answer', () => {
    expect(shapeProblems(contacts, responseSchema(contacts, '/contacts/{contactId}', 'get', '200'), fixture('gohighlevel/contact'))).toEqual([]);
  });

  it.each([
    ['gohighlevel/error-bad-request', 'BadRequestDTO'],
    ['gohighlevel/error-unauthorized', 'UnauthorizedDTO'],
    ['gohighlevel/error-unprocessable', 'UnprocessableDTO'],
    ['gohighlevel/error-rate-limit', 'BadRequestDTO'],
  ])('%s is the common error body %s', (name, schema) => {
    expect(shapeProblems(opportunities, ref(schema), fixture(name))).toEqual([]);
  });
});
