/**
 * The property definitions of a new HubSpot portal's deals and contacts (the ones Recon meets), as
 * `GET /crm/v3/properties/{objectType}` answers them, plus the custom `stripe_customer_id` a
 * Stripe integration adds. `dealstage` and `pipeline` options come from the portal's pipelines.
 * Pure.
 */
import type { HubSpotObjectType, HubSpotPipeline } from './hubspot-objects.ts';

export interface HubSpotPropertyDefinition {
  name: string;
  label: string;
  type: 'string' | 'number' | 'date' | 'datetime' | 'enumeration' | 'bool';
  fieldType: 'text' | 'textarea' | 'number' | 'date' | 'select' | 'radio' | 'booleancheckbox' | 'calculation_equation';
  groupName: string;
  description: string;
  options: { label: string; value: string; displayOrder: number; hidden: boolean }[];
  calculated: boolean;
  hasUniqueValue: boolean;
  hidden: boolean;
  formField: boolean;
  modificationMetadata: { archivable: boolean; readOnlyDefinition: boolean; readOnlyValue: boolean };
  createdAt: string;
  updatedAt: string;
  archived: boolean;
}

type Spec = [name: string, label: string, type: HubSpotPropertyDefinition['type'], readOnly?: boolean, options?: [string, string][]];

const DEALS: Spec[] = [
  ['dealname', 'Deal Name', 'string'],
  ['amount', 'Amount', 'number'],
  ['amount_in_home_currency', 'Amount in company currency', 'number', true],
  ['closedate', 'Close Date', 'datetime'],
  ['createdate', 'Create Date', 'datetime', true],
  ['dealstage', 'Deal Stage', 'enumeration'],
  ['pipeline', 'Pipeline', 'enumeration'],
  ['dealtype', 'Deal Type', 'enumeration', false, [['newbusiness', 'New Business'], ['existingbusiness', 'Existing Business']]],
  ['description', 'Deal Description', 'string'],
  ['hs_lastmodifieddate', 'Last Modified Date', 'datetime', true],
  ['hs_object_id', 'Record ID', 'number', true],
  ['hs_deal_stage_probability', 'Deal Stage Probability', 'number', true],
  ['hs_mrr', 'Monthly recurring revenue', 'number', true],
  ['hubspot_owner_id', 'Deal owner', 'enumeration', false, []],
  ['stripe_customer_id', 'Stripe customer ID', 'string'],
];

const CONTACTS: Spec[] = [
  ['email', 'Email', 'string'],
  ['firstname', 'First Name', 'string'],
  ['lastname', 'Last Name', 'string'],
  ['phone', 'Phone Number', 'string'],
  ['createdate', 'Create Date', 'datetime', true],
  ['lastmodifieddate', 'Last Modified Date', 'datetime', true],
  ['hs_object_id', 'Record ID', 'number', true],
  ['lifecyclestage', 'Lifecycle Stage', 'enumeration', false, [
    ['subscriber', 'Subscriber'], ['lead', 'Lead'], ['marketingqualifiedlead', 'Marketing Qualified Lead'],
    ['salesqualifiedlead', 'Sales Qualified Lead'], ['opportunity', 'Opportunity'], ['customer', 'Customer'],
  ]],
  ['stripe_customer_id', 'Stripe customer ID', 'string'],
];

const FIELD_TYPES: Record<HubSpotPropertyDefinition['type'], HubSpotPropertyDefinition['fieldType']> = {
  string: 'text', number: 'number', date: 'date', datetime: 'date', enumeration: 'select', bool: 'booleancheckbox',
};

/** The portal's properties of one object type; `dealstage` and `pipeline` list the live pipelines. */
export function propertyDefinitions(type: HubSpotObjectType, pipelines: readonly HubSpotPipeline[], at = '2020-01-01T00:00:00.000Z'): HubSpotPropertyDefinition[] {
  const live = pipelines.filter((p) => !p.archived);
  return (type === 'deals' ? DEALS : CONTACTS).map(([name, label, type_, readOnly = false, options = []]) => {
    let values = options.map(([value, optionLabel], displayOrder) => ({ label: optionLabel, value, displayOrder, hidden: false }));
    if (type === 'deals' && name === 'pipeline') values = live.map((p) => ({ label: p.label, value: p.id, displayOrder: p.displayOrder, hidden: false }));
    if (type === 'deals' && name === 'dealstage') {
      values = live.flatMap((p) => p.stages.filter((s) => !s.archived).map((s) => ({ label: s.label, value: s.id, displayOrder: s.displayOrder, hidden: false })));
    }
    return {
      name, label, type: type_, fieldType: readOnly && type_ === 'number' ? 'calculation_equation' : FIELD_TYPES[type_],
      groupName: type === 'deals' ? 'dealinformation' : 'contactinformation', description: '', options: values,
      calculated: readOnly && name !== 'createdate' && name !== 'hs_object_id' && name !== 'hs_lastmodifieddate' && name !== 'lastmodifieddate',
      hasUniqueValue: name === 'hs_object_id', hidden: false, formField: !readOnly,
      modificationMetadata: { archivable: !readOnly && name !== 'dealname' && name !== 'email', readOnlyDefinition: true, readOnlyValue: readOnly },
      createdAt: at, updatedAt: at, archived: false,
    };
  });
}
