import type { RecordPage } from '../../src/domain/ports.ts';
import type { SystemRecord } from '../../src/domain/records.ts';

/** Every record of a connector's list, in order. */
export async function allRecords(pages: AsyncIterable<RecordPage>): Promise<SystemRecord[]> {
  const records: SystemRecord[] = [];
  for await (const page of pages) records.push(...page.records);
  return records;
}

/** Every page of a list, for tests of paging, modes and cursors. */
export async function allPages(pages: AsyncIterable<RecordPage>): Promise<RecordPage[]> {
  const out: RecordPage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}
