import type { ConnectionHealth, ConnectorsBySystem } from '../domain/ports.ts';

/**
 * Each connector's health, probed at most once per `ttlMs` (a minute) whoever asks: a thousand
 * `/recon status` must not become a thousand calls to Stripe and HubSpot, nor slow a cycle.
 */
export function cachedHealth(connectors: ConnectorsBySystem, ttlMs = 60_000, now: () => number = Date.now): () => Promise<ConnectionHealth[]> {
  const cache = new Map<string, { at: number; value: Promise<ConnectionHealth> }>();
  return () =>
    Promise.all(
      Object.entries(connectors).flatMap(([system, connector]) => {
        if (!connector) return [];
        const hit = cache.get(system);
        if (hit && now() - hit.at <= ttlMs) return [hit.value];
        const value = connector.health({ priority: 'interactive' }).catch((error: unknown) => ({ system, ok: false, detail: String(error) }));
        cache.set(system, { at: now(), value });
        return [value];
      }),
    );
}
