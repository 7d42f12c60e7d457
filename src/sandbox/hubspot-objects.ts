/** HubSpot CRM objects as the sandbox stores them, and HubSpot's fixed vocabularies. Pure. */

export interface HubSpotHistoryEntry {
  value: string;
  /** ISO 8601. */
  timestamp: string;
  sourceType: string;
  sourceId?: string;
  updatedByUserId?: number;
}

export interface HubSpotObject {
  id: string;
  properties: Record<string, string | null>;
  /** Newest first, per property. */
  history: Record<string, HubSpotHistoryEntry[]>;
  associations: { contacts: string[] };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

export interface HubSpotPipelineStage {
  id: string;
  label: string;
  displayOrder: number;
  /** HubSpot sends these as strings: `{ isClosed: 'false', probability: '0.2' }`. */
  metadata: { isClosed: string; probability: string };
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT';
}

export interface HubSpotPipeline {
  id: string;
  label: string;
  displayOrder: number;
  archived: boolean;
  createdAt: string;
  updatedAt: string;
  stages: HubSpotPipelineStage[];
}

export type HubSpotObjectType = 'deals' | 'contacts';

/** Path segments HubSpot accepts for each object type: the name or the object type id. */
export const HUBSPOT_OBJECT_TYPE_IDS: Record<string, HubSpotObjectType> = {
  deals: 'deals', deal: 'deals', '0-3': 'deals',
  contacts: 'contacts', contact: 'contacts', '0-1': 'contacts',
};

/** The property HubSpot keeps as "last modified" per object type (contacts differ from deals). */
export const LAST_MODIFIED_PROPERTY: Record<HubSpotObjectType, string> = {
  deals: 'hs_lastmodifieddate',
  contacts: 'lastmodifieddate',
};

/** Returned whatever `properties` says. */
export const ALWAYS_RETURNED: Record<HubSpotObjectType, string[]> = {
  deals: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  contacts: ['createdate', 'lastmodifieddate', 'hs_object_id'],
};

/** Returned when the request names no `properties` (the spec's table of defaults). */
export const DEFAULT_PROPERTIES: Record<HubSpotObjectType, string[]> = {
  deals: ['dealname', 'amount', 'closedate', 'pipeline', 'dealstage'],
  contacts: ['firstname', 'lastname', 'email'],
};

/** Singular names used in association types and error messages: `deal_to_contact`. */
export const SINGULAR: Record<HubSpotObjectType, string> = { deals: 'deal', contacts: 'contact' };

const DEFAULT_STAGES: [id: string, label: string, probability: string, isClosed: boolean][] = [
  ['appointmentscheduled', 'Appointment Scheduled', '0.2', false],
  ['qualifiedtobuy', 'Qualified To Buy', '0.4', false],
  ['presentationscheduled', 'Presentation Scheduled', '0.6', false],
  ['decisionmakerboughtin', 'Decision Maker Bought-In', '0.8', false],
  ['contractsent', 'Contract Sent', '0.9', false],
  ['closedwon', 'Closed Won', '1.0', true],
  ['closedlost', 'Closed Lost', '0.0', true],
];

/** HubSpot's default deal pipeline, with its stage ids and labels as every new portal has them. */
export function defaultDealPipeline(createdAt = '2020-01-01T00:00:00.000Z'): HubSpotPipeline {
  return {
    id: 'default', label: 'Sales Pipeline', displayOrder: 0, archived: false, createdAt, updatedAt: createdAt,
    stages: DEFAULT_STAGES.map(([id, label, probability, isClosed], displayOrder) => ({
      id, label, displayOrder, metadata: { isClosed: String(isClosed), probability }, archived: false,
      createdAt, updatedAt: createdAt, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
    })),
  };
}

/**
 * A second deal pipeline as a portal's own pipelines are: a generated id and numeric stage ids.
 * Its stages are not the default pipeline's, so HubSpot refuses `closedwon` on its deals.
 */
export function renewalsPipeline(createdAt = '2021-01-01T00:00:00.000Z'): HubSpotPipeline {
  const stages: [id: string, label: string, probability: string, isClosed: boolean][] = [
    ['1001', 'Renewal due', '0.5', false],
    ['1002', 'Renewed', '1.0', true],
    ['1003', 'Churned', '0.0', true],
  ];
  return {
    id: '75e28846-ad0d-4be2-a027-5e1da6590b98', label: 'Renewals', displayOrder: 1, archived: false, createdAt, updatedAt: createdAt,
    stages: stages.map(([id, label, probability, isClosed], displayOrder) => ({
      id, label, displayOrder, metadata: { isClosed: String(isClosed), probability }, archived: false,
      createdAt, updatedAt: createdAt, writePermissions: 'CRM_PERMISSIONS_ENFORCEMENT',
    })),
  };
}
