/**
 * GoHighLevel (API v2) objects as the sandbox stores them, the sandbox location's pipelines and
 * custom fields, and the functions that add and change them. Pure: callers pass every timestamp.
 */
import { stripeLikeId } from './ids.ts';

/** The statuses an opportunity can be in (the spec's `all` is a search filter). */
export const GHL_OPPORTUNITY_STATUSES = ['open', 'won', 'lost', 'abandoned'] as const;
export type GhlOpportunityStatus = (typeof GHL_OPPORTUNITY_STATUSES)[number];

export interface GhlStage {
  id: string;
  name: string;
  position: number;
  showInFunnel: boolean;
  showInPieChart: boolean;
}

export interface GhlPipeline {
  id: string;
  name: string;
  stages: GhlStage[];
  showInFunnel: boolean;
  showInPieChart: boolean;
  locationId: string;
}

/** A custom field of the location: writes may name it by `id` or `key`; answers carry its id. */
export interface GhlCustomField {
  id: string;
  key: string;
  name: string;
  model: 'opportunity' | 'contact';
}

export type GhlCustomFieldValue = string | string[] | Record<string, unknown>;

export interface GhlOpportunity {
  id: string;
  name: string;
  monetaryValue: number;
  pipelineId: string;
  pipelineStageId: string;
  assignedTo: string | null;
  status: GhlOpportunityStatus;
  source: string | null;
  lostReasonId: string | null;
  contactId: string;
  locationId: string;
  /** ISO 8601, as every date GoHighLevel sends. */
  createdAt: string;
  updatedAt: string;
  lastStatusChangeAt: string;
  lastStageChangeAt: string;
  customFields: { id: string; fieldValue: GhlCustomFieldValue }[];
}

export interface GhlContact {
  id: string;
  locationId: string;
  firstName: string | null;
  lastName: string | null;
  email: string | null;
  phone: string | null;
  companyName: string | null;
  source: string | null;
  assignedTo: string | null;
  country: string | null;
  timezone: string | null;
  website: string | null;
  dnd: boolean;
  tags: string[];
  dateAdded: string;
  dateUpdated: string;
  customFields: { id: string; value: GhlCustomFieldValue }[];
}

export interface GoHighLevelState {
  locationId: string;
  pipelines: GhlPipeline[];
  opportunities: Map<string, GhlOpportunity>;
  contacts: Map<string, GhlContact>;
  customFields: GhlCustomField[];
  /** Counter behind generated ids. */
  sequence: number;
}

export const GHL_SANDBOX_LOCATION_ID = 'Sbx7LocRecon0Sandbox';

/** The sandbox location's pipelines, with fixed ids so an example policy can name their stages. */
export const GHL_SALES_PIPELINE = {
  id: 'SbxSalesPipeline0001',
  stages: {
    newLead: '6f1c2a10-0000-4a00-8000-000000000001',
    contacted: '6f1c2a10-0000-4a00-8000-000000000002',
    proposalSent: '6f1c2a10-0000-4a00-8000-000000000003',
    customer: '6f1c2a10-0000-4a00-8000-000000000004',
    churned: '6f1c2a10-0000-4a00-8000-000000000005',
  },
} as const;

/** A second pipeline whose stages are not the sales pipeline's: a stage of one is refused in the other. */
export const GHL_PARTNER_PIPELINE = {
  id: 'SbxPartnerPipeline01',
  stages: {
    applied: '7a2d3b20-0000-4b00-8000-000000000001',
    onboarding: '7a2d3b20-0000-4b00-8000-000000000002',
    activePartner: '7a2d3b20-0000-4b00-8000-000000000003',
  },
} as const;

/** Where bookings land: a person who booked a call is an opportunity of this pipeline. */
export const GHL_BOOKING_PIPELINE = {
  id: 'SbxBookingPipeline01',
  stages: {
    inquiry: '8b3e4c30-0000-4c00-8000-000000000001',
    booked: '8b3e4c30-0000-4c00-8000-000000000002',
    attended: '8b3e4c30-0000-4c00-8000-000000000003',
    noShow: '8b3e4c30-0000-4c00-8000-000000000004',
  },
} as const;

/** The opportunity custom field holding the Stripe customer id (what GHL_STRIPE_ID_FIELD names). */
export const GHL_STRIPE_ID_FIELD = 'SbxCfStripeCustomer1';

const stages = (ids: Record<string, string>, names: string[]): GhlStage[] =>
  Object.values(ids).map((id, position) => ({ id, name: names[position] ?? id, position, showInFunnel: true, showInPieChart: true }));

export function createGoHighLevelState(locationId = GHL_SANDBOX_LOCATION_ID): GoHighLevelState {
  return {
    locationId,
    pipelines: [
      {
        id: GHL_SALES_PIPELINE.id, name: 'Sales Pipeline', showInFunnel: true, showInPieChart: true, locationId,
        stages: stages(GHL_SALES_PIPELINE.stages, ['New Lead', 'Contacted', 'Proposal Sent', 'Customer', 'Churned']),
      },
      {
        id: GHL_PARTNER_PIPELINE.id, name: 'Partners', showInFunnel: true, showInPieChart: false, locationId,
        stages: stages(GHL_PARTNER_PIPELINE.stages, ['Applied', 'Onboarding', 'Active Partner']),
      },
      {
        id: GHL_BOOKING_PIPELINE.id, name: 'Bookings', showInFunnel: true, showInPieChart: true, locationId,
        stages: stages(GHL_BOOKING_PIPELINE.stages, ['Inquiry', 'Call Booked', 'Call Attended', 'Cancelled / No Show']),
      },
    ],
    opportunities: new Map(),
    contacts: new Map(),
    customFields: [
      { id: GHL_STRIPE_ID_FIELD, key: 'opportunity.stripe_customer_id', name: 'Stripe customer id', model: 'opportunity' },
      { id: 'SbxCfContactStripe01', key: 'contact.stripe_customer_id', name: 'Stripe customer id', model: 'contact' },
    ],
    sequence: 0,
  };
}

/** A 20-character id like GoHighLevel's, from a counter, so a seeded run is reproducible. */
export function nextGoHighLevelId(state: { gohighlevel: GoHighLevelState }): string {
  state.gohighlevel.sequence += 1;
  return stripeLikeId('g', state.gohighlevel.sequence, 20).slice(2);
}

function claim<T>(map: Map<string, T>, id: string, what: string): string {
  if (map.has(id)) throw new Error(`sandbox: GoHighLevel ${what} ${id} already exists; pass another id or none`);
  return id;
}

export function addGoHighLevelContact(state: { gohighlevel: GoHighLevelState }, input: {
  id?: string; email: string | null; firstName?: string; lastName?: string; dateAdded: string; dateUpdated?: string;
  customFields?: { id: string; value: GhlCustomFieldValue }[];
}): GhlContact {
  const ghl = state.gohighlevel;
  const id = claim(ghl.contacts, input.id ?? nextGoHighLevelId(state), 'contact');
  const contact: GhlContact = {
    id, locationId: ghl.locationId, firstName: input.firstName ?? null, lastName: input.lastName ?? null, email: input.email,
    phone: null, companyName: null, source: null, assignedTo: null, country: null, timezone: null, website: null, dnd: false, tags: [],
    dateAdded: input.dateAdded, dateUpdated: input.dateUpdated ?? input.dateAdded, customFields: [...(input.customFields ?? [])],
  };
  ghl.contacts.set(id, contact);
  return contact;
}

/** Adds an opportunity; its stage must be one of its pipeline's, as GoHighLevel insists. */
export function addGoHighLevelOpportunity(state: { gohighlevel: GoHighLevelState }, input: {
  id?: string; name: string; contactId: string; pipelineId?: string; pipelineStageId: string; status: GhlOpportunityStatus;
  monetaryValue: number; createdAt: string; updatedAt?: string; customFields?: { id: string; fieldValue: GhlCustomFieldValue }[];
}): GhlOpportunity {
  const ghl = state.gohighlevel;
  const pipelineId = input.pipelineId ?? GHL_SALES_PIPELINE.id;
  const pipeline = ghl.pipelines.find((candidate) => candidate.id === pipelineId);
  if (!pipeline?.stages.some((stage) => stage.id === input.pipelineStageId)) {
    throw new Error(`sandbox: stage ${input.pipelineStageId} is not a stage of GoHighLevel pipeline ${pipelineId}`);
  }
  if (!ghl.contacts.has(input.contactId)) throw new Error(`sandbox: opportunity for unknown GoHighLevel contact ${input.contactId}; add the contact first`);
  const id = claim(ghl.opportunities, input.id ?? nextGoHighLevelId(state), 'opportunity');
  const updatedAt = input.updatedAt ?? input.createdAt;
  const opportunity: GhlOpportunity = {
    id, name: input.name, monetaryValue: input.monetaryValue, pipelineId, pipelineStageId: input.pipelineStageId, assignedTo: null,
    status: input.status, source: null, lostReasonId: null, contactId: input.contactId, locationId: ghl.locationId,
    createdAt: input.createdAt, updatedAt, lastStatusChangeAt: updatedAt, lastStageChangeAt: input.createdAt,
    customFields: [...(input.customFields ?? [])],
  };
  ghl.opportunities.set(id, opportunity);
  return opportunity;
}

/** The changes one update may make to an opportunity; custom fields by id. */
export interface GhlOpportunityChanges {
  name?: string;
  monetaryValue?: number;
  pipelineId?: string;
  pipelineStageId?: string;
  assignedTo?: string;
  status?: GhlOpportunityStatus;
  lostReasonId?: string;
  customFields?: { id: string; fieldValue: GhlCustomFieldValue }[];
}

/**
 * Applies an update, already validated, as GoHighLevel does: the changed fields, their change
 * times, and `updatedAt` when anything changed. Returns what changed, by Recon's field names.
 */
export function applyGoHighLevelUpdate(opportunity: GhlOpportunity, changes: GhlOpportunityChanges, at: Date): Record<string, unknown> {
  const timestamp = at.toISOString();
  const changed: Record<string, unknown> = {};
  const set = <K extends keyof GhlOpportunity>(key: K, value: GhlOpportunity[K] | undefined) => {
    if (value === undefined || opportunity[key] === value) return;
    opportunity[key] = value;
    changed[key] = value;
  };
  set('name', changes.name);
  set('monetaryValue', changes.monetaryValue);
  set('pipelineId', changes.pipelineId);
  set('pipelineStageId', changes.pipelineStageId);
  set('assignedTo', changes.assignedTo);
  set('status', changes.status);
  set('lostReasonId', changes.lostReasonId);
  for (const field of changes.customFields ?? []) {
    const existing = opportunity.customFields.find((candidate) => candidate.id === field.id);
    if (existing && JSON.stringify(existing.fieldValue) === JSON.stringify(field.fieldValue)) continue;
    if (existing) existing.fieldValue = field.fieldValue;
    else opportunity.customFields.push({ ...field });
    changed[`customFields.${field.id}`] = field.fieldValue;
  }
  if ('status' in changed) opportunity.lastStatusChangeAt = timestamp;
  if ('pipelineStageId' in changed || 'pipelineId' in changed) opportunity.lastStageChangeAt = timestamp;
  if (Object.keys(changed).length > 0) opportunity.updatedAt = timestamp;
  return changed;
}
