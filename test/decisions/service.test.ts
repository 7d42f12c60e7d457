import { describe, expect, it } from 'vitest';
import type { Connector, ObjectDescription } from '../../src/domain/ports.ts';
import { cachedDescriptions } from '../../src/decisions/service.ts';

/** A connector whose describe records the priority each call was made at. */
function describing() {
  const priorities: (string | undefined)[] = [];
  const connector = {
    system: 'hubspot',
    describe: async (object: string, options?: { priority?: string }) => {
      priorities.push(options?.priority);
      return { system: 'hubspot', object, openPrefixes: [], fields: [] } as ObjectDescription;
    },
  } as unknown as Connector;
  return { priorities, connectors: { hubspot: connector } };
}

describe('cached object descriptions', () => {
  it("describes at a cycle's background priority when a cycle asks first, so it does not count as a person", async () => {
    const { priorities, connectors } = describing();
    const describe = cachedDescriptions(connectors);
    await describe('hubspot', 'deals', 'background');
    expect(priorities).toEqual(['background']);
  });

  it("describes at a person's priority by default", async () => {
    const { priorities, connectors } = describing();
    await cachedDescriptions(connectors)('hubspot', 'deals');
    expect(priorities).toEqual(['interactive']);
  });
});
