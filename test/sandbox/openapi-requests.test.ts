/** The request checker in test/support catches what it claims to, so a clean run of it means something. */
import { describe, expect, it } from 'vitest';
import { ghlSpec } from '../support/gohighlevel-spec.ts';
import { requestProblems } from '../support/openapi-requests.ts';

const specs = [ghlSpec('opportunities.json'), ghlSpec('contacts.json')];
const versioned = new Headers({ version: '2021-07-28' });
const request = (method: string, path: string, body?: unknown, headers = versioned) =>
  requestProblems(specs, { method, url: new URL(`https://services.leadconnectorhq.com${path}`), headers, body });

describe('openapi request checker', () => {
  it('accepts documented calls, a literal path before a template', () => {
    expect(request('GET', '/opportunities/search?location_id=l&limit=100&startAfterId=x&startAfter=1')).toEqual([]);
    expect(request('PUT', '/opportunities/abc/status', { status: 'won' })).toEqual([]);
    expect(request('PUT', '/opportunities/abc', { monetaryValue: 5, customFields: [{ id: 'cf', field_value: 'x' }] })).toEqual([]);
  });

  it('reports an undocumented path, method, query parameter or missing required one', () => {
    expect(request('GET', '/opportunities/abc/history')).toEqual(['GET /opportunities/abc/history: no documented operation has this path and method']);
    expect(request('PATCH', '/opportunities/abc')).toHaveLength(1);
    expect(request('GET', '/opportunities/search?location_id=l&updated_after=1')).toEqual([
      'GET /opportunities/search: query parameter updated_after is not declared by /opportunities/search',
    ]);
    expect(request('GET', '/opportunities/search')).toEqual(['GET /opportunities/search: required query parameter location_id is missing']);
  });

  it('reports a missing or unknown Version header', () => {
    expect(request('GET', '/opportunities/pipelines?locationId=l', undefined, new Headers())).toEqual(['GET /opportunities/pipelines: required header Version is missing']);
    expect(request('GET', '/opportunities/pipelines?locationId=l', undefined, new Headers({ version: '2021-04-15' }))).toHaveLength(1);
  });

  it('reports body fields the request schema does not declare, nested ones too', () => {
    expect(request('PUT', '/opportunities/abc', { dealstage: 'x', customFields: [{ id: 'cf', value: 'x' }] })).toEqual([
      'PUT /opportunities/abc: body $.dealstage: not declared',
      'PUT /opportunities/abc: body $.customFields[0].value: not declared',
    ]);
  });
});
