import { z } from 'zod';

/**
 * Raw GoHighLevel API v2 objects and responses (`opportunities.json`, `contacts.json`), as far as
 * Recon reads them. Loose objects: other fields pass through. The spec marks almost nothing as
 * required and the API leaves empty fields out or sends them as null, so most are `nullish`.
 */

/** CustomFieldResponseSchema: an opportunity's custom field, `fieldValue` a string, a list or an object. */
export const ghlOpportunityCustomFieldSchema = z.looseObject({ id: z.string(), fieldValue: z.unknown() });

/** CustomFieldSchema: a contact's custom field, `value` (a string in the spec; lists and numbers in practice). */
export const ghlContactCustomFieldSchema = z.looseObject({ id: z.string(), value: z.unknown().optional() });

/** SearchOpportunitiesContactResponseSchema: the contact an opportunity search embeds. */
export const ghlEmbeddedContactSchema = z.looseObject({
  id: z.string().nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone: z.string().nullish(),
});

/** SearchOpportunitiesResponseSchema: one opportunity, in a search page or from `GET /opportunities/{id}`. */
export const ghlOpportunitySchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  monetaryValue: z.number().nullish(),
  pipelineId: z.string().nullish(),
  pipelineStageId: z.string().nullish(),
  assignedTo: z.string().nullish(),
  status: z.string(),
  source: z.string().nullish(),
  lastStatusChangeAt: z.string().nullish(),
  lastStageChangeAt: z.string().nullish(),
  createdAt: z.string().nullish(),
  updatedAt: z.string().nullish(),
  contactId: z.string().nullish(),
  locationId: z.string().nullish(),
  lostReasonId: z.string().nullish(),
  contact: ghlEmbeddedContactSchema.nullish(),
  customFields: z.array(ghlOpportunityCustomFieldSchema).nullish(),
});
export type GhlOpportunity = z.output<typeof ghlOpportunitySchema>;

/** SearchMetaResponseSchema: where the next page of a search starts. */
export const ghlSearchMetaSchema = z.looseObject({
  total: z.number().nullish(),
  nextPageUrl: z.string().nullish(),
  startAfterId: z.string().nullish(),
  startAfter: z.number().nullish(),
  currentPage: z.number().nullish(),
  nextPage: z.number().nullish(),
  prevPage: z.number().nullish(),
});
export type GhlSearchMeta = z.output<typeof ghlSearchMetaSchema>;

/** `GET /opportunities/search`: SearchSuccessfulResponseDto. */
export const ghlOpportunitySearchSchema = z.looseObject({
  opportunities: z.array(z.unknown()),
  meta: ghlSearchMetaSchema.nullish(),
});

/** `GET` and `PUT /opportunities/{id}`: GetPostOpportunitySuccessfulResponseDto. */
export const ghlOpportunityAnswerSchema = z.looseObject({ opportunity: z.unknown() });

/** `PUT /opportunities/{id}/status`: DeleteUpdateOpportunitySuccessfulResponseDto (the spec's spelling). */
export const ghlSucceededSchema = z.looseObject({ succeded: z.boolean().optional() });

/**
 * One stage of a pipeline. The spec types `stages` as a list of lists (a defect of the published
 * spec); the API sends objects `{ id, name, position, ... }`.
 */
export const ghlPipelineStageSchema = z.looseObject({ id: z.string(), name: z.string(), position: z.number().nullish() });

/** PipelinesResponseSchema. */
export const ghlPipelineSchema = z.looseObject({ id: z.string(), name: z.string(), stages: z.array(ghlPipelineStageSchema) });
export type GhlPipeline = z.output<typeof ghlPipelineSchema>;

/** `GET /opportunities/pipelines`: GetPipelinesSuccessfulResponseDto. */
export const ghlPipelinesSchema = z.looseObject({ pipelines: z.array(z.unknown()) });

/** ContactsSearchSchema (a list entry) and GetContectByIdSchema (one contact). */
export const ghlContactSchema = z.looseObject({
  id: z.string(),
  email: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  name: z.string().nullish(),
  contactName: z.string().nullish(),
  phone: z.string().nullish(),
  companyName: z.string().nullish(),
  source: z.string().nullish(),
  assignedTo: z.string().nullish(),
  country: z.string().nullish(),
  timezone: z.string().nullish(),
  website: z.string().nullish(),
  dnd: z.boolean().nullish(),
  tags: z.array(z.string()).nullish(),
  dateAdded: z.string().nullish(),
  dateUpdated: z.string().nullish(),
  customFields: z.array(ghlContactCustomFieldSchema).nullish(),
});
export type GhlContact = z.output<typeof ghlContactSchema>;

/** `GET /contacts/`: ContactsSearchSuccessfulResponseDto; `meta` is ContactsMetaSchema when sent. */
export const ghlContactsPageSchema = z.looseObject({
  contacts: z.array(z.unknown()),
  count: z.number().nullish(),
  meta: ghlSearchMetaSchema.nullish(),
});

/** `GET /contacts/{id}` (ContactsByIdSuccessfulResponseDto) and `PUT` (UpdateContactsSuccessfulResponseDto). */
export const ghlContactAnswerSchema = z.looseObject({ contact: z.unknown() });

/**
 * The error body every failed request carries (the spec's common BadRequestDTO, UnauthorizedDTO,
 * UnprocessableDTO): `message` is a list of problems on a 422.
 */
export const ghlErrorBodySchema = z.looseObject({
  statusCode: z.number().optional(),
  message: z.union([z.string(), z.array(z.string())]).optional(),
  error: z.string().optional(),
});
