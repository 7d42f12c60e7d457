import { describe, expect, it } from 'vitest';
import { DECLARATIONS } from '../../src/connectors/catalog.ts';
import { CONNECTORS } from '../../src/connectors/registry.ts';

describe('the catalog of systems and the registry of connectors', () => {
  it('list the same systems in the same order', () => {
    expect(CONNECTORS.map((c) => c.name)).toEqual(DECLARATIONS.map((d) => d.name));
  });

  it('agree on everything a system declares: each connector is its declaration and a factory', () => {
    for (const [i, declaration] of DECLARATIONS.entries()) {
      const { create, ...declared } = CONNECTORS[i] as (typeof CONNECTORS)[number];
      expect(declared).toEqual(declaration);
      expect(typeof create).toBe('function');
    }
  });
});
