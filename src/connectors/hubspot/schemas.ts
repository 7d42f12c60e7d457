import { z } from 'zod';

/**
 * Raw HubSpot CRM v3 objects and responses (`deals-v3.json`, `contacts-v3.json`), as far as Recon
 * reads them. Loose objects: other fields pass through.
 *
 * The spec types property values as strings; the API sends `null` for a requested property that
 * has no value, so values are `string | null` here.
 */

/** One entry of `propertiesWithHistory` (ValueWithTimestamp). */
export const hubspotHistoryEntrySchema = z.looseObject({
  value: z.string().nullable(),
  timestamp: z.string(),
  sourceType: z.string(),
  sourceId: z.string().nullish(),
  sourceLabel: z.string().nullish(),
  updatedByUserId: z.number().int().nullish(),
});
export type HubSpotHistoryEntry = z.output<typeof hubspotHistoryEntrySchema>;

/** AssociatedId: `{ id: "101", type: "deal_to_contact" }`. */
export const hubspotAssociatedIdSchema = z.looseObject({ id: z.string(), type: z.string() });

/** SimplePublicObjectWithAssociations (list) and SimplePublicObject (batch results). */
export const hubspotObjectSchema = z.looseObject({
  id: z.string(),
  properties: z.record(z.string(), z.string().nullable()),
  propertiesWithHistory: z.record(z.string(), z.array(hubspotHistoryEntrySchema)).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  archived: z.boolean().optional(),
  associations: z
    .record(z.string(), z.looseObject({ results: z.array(hubspotAssociatedIdSchema) }))
    .optional(),
});
export type HubSpotObject = z.output<typeof hubspotObjectSchema>;

/** CollectionResponse...ForwardPaging: `paging.next.after` is the cursor of the next page. */
export const hubspotCollectionSchema = z.looseObject({
  results: z.array(z.unknown()),
  paging: z
    .looseObject({ next: z.looseObject({ after: z.string(), link: z.string().optional() }).optional() })
    .optional(),
});

/** StandardError, as found in a 207 batch answer. */
export const hubspotStandardErrorSchema = z.looseObject({
  status: z.string(),
  category: z.string(),
  message: z.string(),
  context: z.record(z.string(), z.array(z.string())).optional(),
  errors: z.array(z.looseObject({ message: z.string() })).optional(),
});
export type HubSpotStandardError = z.output<typeof hubspotStandardErrorSchema>;

/** BatchResponseSimplePublicObject (200) and ...WithErrors (207). */
export const hubspotBatchResponseSchema = z.looseObject({
  status: z.string(),
  results: z.array(z.unknown()),
  errors: z.array(hubspotStandardErrorSchema).optional(),
  numErrors: z.number().int().optional(),
});

/** The Error body of a failed request (4xx, 5xx); 429s add `policyName` (`DAILY`, `TEN_SECONDLY_ROLLING`, ...). */
export const hubspotErrorBodySchema = z.looseObject({
  message: z.string(),
  category: z.string().optional(),
  correlationId: z.string().optional(),
  policyName: z.string().optional(),
  errors: z.array(z.looseObject({ message: z.string() })).optional(),
});

export const hubspotPipelineStageSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number(),
  archived: z.boolean().optional(),
});

export const hubspotPipelineSchema = z.looseObject({
  id: z.string(),
  label: z.string(),
  displayOrder: z.number(),
  archived: z.boolean().optional(),
  stages: z.array(hubspotPipelineStageSchema),
});
export type HubSpotPipeline = z.output<typeof hubspotPipelineSchema>;

/** `GET /crm/v3/pipelines/deals`: CollectionResponsePipelineNoPaging. */
export const hubspotPipelinesSchema = z.looseObject({ results: z.array(z.unknown()) });

/** `POST /crm/v3/objects/{type}/search`: CollectionResponseWithTotal...ForwardPaging. */
export const hubspotSearchResponseSchema = z.looseObject({
  total: z.number().int(),
  results: z.array(z.unknown()),
  paging: z
    .looseObject({ next: z.looseObject({ after: z.string(), link: z.string().optional() }).optional() })
    .optional(),
});

/** One option of an enumeration property. */
export const hubspotPropertyOptionSchema = z.looseObject({
  label: z.string(),
  value: z.string(),
  displayOrder: z.number().optional(),
  hidden: z.boolean().optional(),
});

/** `GET /crm/v3/properties/{objectType}`: one property definition. */
export const hubspotPropertySchema = z.looseObject({
  name: z.string(),
  label: z.string(),
  type: z.string(),
  fieldType: z.string(),
  options: z.array(hubspotPropertyOptionSchema).optional(),
  calculated: z.boolean().optional(),
  hidden: z.boolean().optional(),
  archived: z.boolean().optional(),
  modificationMetadata: z.looseObject({ readOnlyValue: z.boolean() }).optional(),
});
export type HubSpotProperty = z.output<typeof hubspotPropertySchema>;

export const hubspotPropertiesSchema = z.looseObject({ results: z.array(z.unknown()) });
