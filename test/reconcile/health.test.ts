import { describe, expect, it } from 'vitest';
import type { ConnectionHealth, ConnectorsBySystem } from '../../src/domain/ports.ts';
import { cachedHealth } from '../../src/reconcile/health.ts';

/** Connectors as health sees them, counting their probes; `fail` makes a probe throw. */
function probed(fail = false) {
  const probes: Record<string, number> = { stripe: 0, hubspot: 0 };
  const connectors = Object.fromEntries(Object.keys(probes).map((system) => [system, {
    health: async (): Promise<ConnectionHealth> => {
      probes[system] = (probes[system] ?? 0) + 1;
      if (fail) throw new Error('connect ECONNREFUSED');
      return { system, ok: true, detail: 'ok' };
    },
  }])) as unknown as ConnectorsBySystem;
  return { probes, connectors };
}

describe('connection health for /recon status', () => {
  it('probes each system once however many ask within a minute', async () => {
    let now = 0;
    const { probes, connectors } = probed();
    const health = cachedHealth(connectors, 60_000, () => now);
    await Promise.all(Array.from({ length: 1_000 }, () => health()));
    now = 59_000;
    await health();
    expect(probes).toEqual({ stripe: 1, hubspot: 1 });
  });

  it('probes again once the minute has passed', async () => {
    let now = 0;
    const { probes, connectors } = probed();
    const health = cachedHealth(connectors, 60_000, () => now);
    await health();
    now = 60_001;
    await health();
    expect(probes).toEqual({ stripe: 2, hubspot: 2 });
  });

  it('reports a probe that throws as not ok, with the error, instead of failing the status', async () => {
    const { connectors } = probed(true);
    const answers = await cachedHealth(connectors)();
    expect(answers).toEqual([
      { system: 'stripe', ok: false, detail: 'Error: connect ECONNREFUSED' },
      { system: 'hubspot', ok: false, detail: 'Error: connect ECONNREFUSED' },
    ]);
  });
});
