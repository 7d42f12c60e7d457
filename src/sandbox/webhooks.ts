/**
 * The sandbox's webhooks: what Stripe and HubSpot send for the changes the sandbox makes, signed as
 * they sign them, POSTed to Recon. Stripe: each event recorded after the sender starts, one per
 * request. HubSpot: `deal.propertyChange` (and `contact.propertyChange`) for each property changed,
 * by Recon's API writes (`changeSource: INTEGRATION`, `sourceId` the app) and by people
 * (`CRM_UI`), in batches as HubSpot sends them. GoHighLevel is not faked here, so its webhooks go
 * out only when asked (`sendGoHighLevel`), signed as GoHighLevel signs today (Ed25519,
 * `X-GHL-Signature`) with a key pair the sandbox makes for itself.
 *
 * Faults on request, as real delivery has them: duplicates, reordering, drops, and retries with
 * backoff when Recon answers other than 2xx. Everything is bounded: a delivery is tried at most
 * `maxAttempts` times, `flush()` waits for what is queued, `close()` stops all of it.
 */
import { Agent } from 'node:http';
import { seededRandom } from './random.ts';
import { observeSandbox } from './state.ts';
import type { SandboxChange, SandboxState } from './state.ts';
import { createGoHighLevelSigner, hubSpotSignatureHeaders, sandboxSecret, stripeSignatureHeader } from './webhook-signing.ts';
import type { GoHighLevelSigner } from './webhook-signing.ts';
import { post, Queue } from './webhook-transport.ts';

export type WebhookVendor = 'stripe' | 'hubspot' | 'gohighlevel';

export interface WebhookSenderOptions {
  /** Recon's base URL, loopback only (`http://127.0.0.1:3000`); webhooks go to `${url}/webhooks/<vendor>`. */
  url: string;
  /** The endpoint secret, or several to send one v1 per secret as Stripe does while one is rolled. Default: a new `whsec_test_...`. */
  stripeSecret?: string | readonly string[];
  /** Default: a new test secret. */
  hubspotClientSecret?: string;
  /** The public URL HubSpot signs (Recon's `RECON_PUBLIC_URL`); default `url`. */
  publicUrl?: string;
  /** Paths under `url`; default `/webhooks/stripe`, `/webhooks/hubspot`, `/webhooks/gohighlevel`. */
  paths?: Partial<Record<WebhookVendor, string>>;
  /** Probability (0..1) that an event is sent a second time, in a later request. */
  duplicates?: number;
  /** Probability (0..1) that an event is never sent. */
  drop?: number;
  /** Hold this many requests and send them shuffled (HubSpot batches are shuffled inside too); 0 or 1 keeps order. */
  reorder?: number;
  /** How long a partly filled reorder window is held before it goes anyway; default 20 ms. */
  reorderHoldMs?: number;
  /** Seed of the draws behind duplicates, drops and shuffles. */
  seed?: number;
  /** Attempts per request, the first included; default 5. */
  maxAttempts?: number;
  /** Backoff before the n-th retry: `retryBaseMs * 2^(n-1)`, at most `retryMaxMs`; defaults 50 and 2,000. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Requests in flight at once; default 1, which keeps order unless `reorder` says otherwise. */
  concurrency?: number;
  /** Per request; default 5,000 ms. A timeout counts as a failed attempt. */
  timeoutMs?: number;
  /** Notifications per HubSpot request (HubSpot sends up to 100); default 100. */
  hubspotBatchSize?: number;
  /** How long HubSpot notifications gather before a batch goes; default 5 ms. */
  batchWindowMs?: number;
  /** The clock the signatures carry; default `Date.now`. */
  now?: () => number;
  /** GoHighLevel webhooks also carry the legacy RSA `x-wh-signature` (signed with the sandbox's own RSA key, which Recon refuses). */
  ghlLegacyRsa?: boolean;
  /** The `appId` GoHighLevel webhooks carry when the event names none. */
  ghlAppId?: string;
}

export interface WebhookSenderStats {
  /** Events the sender saw or was given. */
  events: number;
  dropped: number;
  /** Extra copies sent. */
  duplicated: number;
  /** POSTs made, retries included. */
  attempts: number;
  /** Requests Recon answered 2xx, and the events in them. */
  delivered: number;
  eventsDelivered: number;
  /** Requests given up after `maxAttempts`. */
  failed: number;
  /** Requests still queued when the sender was closed. */
  abandoned: number;
}

export interface WebhookSender {
  /** What Recon needs to verify these webhooks, by variable name (`GHL_WEBHOOK_PUBLIC_KEY` as raw base64). Makes the GoHighLevel keys on first call. */
  env(): Record<'STRIPE_WEBHOOK_SECRET' | 'HUBSPOT_CLIENT_SECRET' | 'RECON_PUBLIC_URL' | 'GHL_WEBHOOK_PUBLIC_KEY', string>;
  /** The GoHighLevel signer, for its keys in other forms. Makes the keys on first call. */
  goHighLevelSigner(): GoHighLevelSigner;
  /** Sends a GoHighLevel webhook (`webhookId`, `timestamp` and `appId` added when absent), signed with `X-GHL-Signature` (and the legacy header with `ghlLegacyRsa`). */
  sendGoHighLevel(event: Record<string, unknown>): void;
  stats(): WebhookSenderStats;
  /** Resolves once nothing is queued, held, waiting to be retried or in flight: each delivered or given up. Held windows and batches go at once. */
  flush(): Promise<void>;
  /** Stops observing, cancels retries and requests in flight, and drops what is queued. */
  close(): Promise<void>;
}

interface Delivery {
  vendor: WebhookVendor;
  /** The events of the request: one, or a HubSpot batch. */
  events: Record<string, unknown>[];
  attempt: number;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

function probability(name: string, value: number | undefined): number {
  const p = value ?? 0;
  if (!(p >= 0 && p <= 1)) throw new Error(`webhooks.${name} must be between 0 and 1, got ${value}`);
  return p;
}

/** Starts sending webhooks for changes made to `state` from now on. */
export function startWebhookSender(state: SandboxState, options: WebhookSenderOptions): WebhookSender {
  const target = new URL(options.url);
  if (!LOOPBACK.has(target.hostname)) throw new Error(`sandbox webhooks: sends to loopback only, not ${target.hostname}`);
  const base = options.url.replace(/\/+$/, '');
  const publicBase = (options.publicUrl ?? options.url).replace(/\/+$/, '');
  const paths: Record<WebhookVendor, string> = {
    stripe: '/webhooks/stripe', hubspot: '/webhooks/hubspot', gohighlevel: '/webhooks/gohighlevel', ...options.paths,
  };
  const stripeSecrets = options.stripeSecret === undefined ? [sandboxSecret('whsec_test_sandbox_')]
    : typeof options.stripeSecret === 'string' ? [options.stripeSecret] : [...options.stripeSecret];
  const hubspotSecret = options.hubspotClientSecret ?? sandboxSecret('test-hubspot-client-secret-');
  const duplicates = probability('duplicates', options.duplicates);
  const drop = probability('drop', options.drop);
  const window = Math.max(1, Math.floor(options.reorder ?? 1));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const concurrency = Math.max(1, options.concurrency ?? 1);
  const batchSize = Math.min(100, Math.max(1, options.hubspotBatchSize ?? 100));
  const now = options.now ?? Date.now;
  const random = seededRandom(options.seed ?? 1);
  let ghlSigner: GoHighLevelSigner | undefined;
  const ghl = () => (ghlSigner ??= createGoHighLevelSigner({ legacyRsa: options.ghlLegacyRsa ?? false }));

  const stats: WebhookSenderStats = { events: 0, dropped: 0, duplicated: 0, attempts: 0, delivered: 0, eventsDelivered: 0, failed: 0, abandoned: 0 };
  let closed = false;
  const ready = new Queue<Delivery>();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let held: Delivery[] = [];
  let holdTimer: NodeJS.Timeout | undefined;
  let hubspotBuffer: Record<string, unknown>[] = [];
  /** Copies that go with the batch after the next one, as a redelivery would, not beside the original. */
  let hubspotLater: Record<string, unknown>[] = [];
  let batchTimer: NodeJS.Timeout | undefined;
  const retryTimers = new Map<NodeJS.Timeout, Delivery>();
  const inFlight = new Set<AbortController>();
  let idleWaiters: (() => void)[] = [];
  let hubspotEventId = 1_000_000 + Math.floor(random() * 1_000_000);
  const subscriptionIds = new Map<string, number>();

  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  };

  const outstanding = () => ready.length + held.length + hubspotBuffer.length + hubspotLater.length + retryTimers.size + inFlight.size;
  /** Wakes `flush()` once nothing is outstanding, and `close()` once nothing is in flight. */
  const settleIfIdle = () => {
    if (closed ? inFlight.size > 0 : outstanding() > 0) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiters) resolve();
  };

  const releaseHeld = () => {
    clearTimeout(holdTimer);
    holdTimer = undefined;
    ready.push(...shuffle(held));
    held = [];
    pump();
  };

  const stage = (delivery: Delivery) => {
    if (closed) return;
    if (window <= 1) {
      ready.push(delivery);
      pump();
      return;
    }
    held.push(delivery);
    if (held.length >= window) releaseHeld();
    else holdTimer ??= setTimeout(releaseHeld, options.reorderHoldMs ?? 20);
  };

  /** Each event once, maybe dropped; copies of some go in a later request. */
  const admit = (event: Record<string, unknown>): Record<string, unknown>[] => {
    stats.events += 1;
    if (drop > 0 && random() < drop) {
      stats.dropped += 1;
      return [];
    }
    if (duplicates > 0 && random() < duplicates) {
      stats.duplicated += 1;
      return [event, structuredClone(event)];
    }
    return [event];
  };

  const cutHubSpotBatch = () => {
    clearTimeout(batchTimer);
    batchTimer = undefined;
    while (hubspotBuffer.length > 0) {
      const batch = hubspotBuffer.splice(0, batchSize);
      stage({ vendor: 'hubspot', events: window > 1 ? shuffle(batch) : batch, attempt: 1 });
    }
    if (hubspotLater.length > 0) {
      hubspotBuffer = hubspotLater;
      hubspotLater = [];
      batchTimer = setTimeout(cutHubSpotBatch, options.batchWindowMs ?? 5);
    }
  };

  const queueHubSpot = (notification: Record<string, unknown>) => {
    const [first, copy] = admit(notification);
    if (!first) return;
    hubspotBuffer.push(first);
    if (copy) hubspotLater.push(copy);
    if (hubspotBuffer.length >= batchSize) cutHubSpotBatch();
    else batchTimer ??= setTimeout(cutHubSpotBatch, options.batchWindowMs ?? 5);
  };

  const hubspotNotification = (change: Extract<SandboxChange, { system: 'hubspot' }>, name: string, value: string | null) => {
    const subscriptionType = `${change.objectType === 'deals' ? 'deal' : 'contact'}.propertyChange`;
    const key = `${subscriptionType}:${name}`;
    if (!subscriptionIds.has(key)) subscriptionIds.set(key, 2001 + subscriptionIds.size);
    hubspotEventId += 1;
    return {
      eventId: hubspotEventId, subscriptionId: subscriptionIds.get(key), portalId: state.hubspot.portalId, appId: state.hubspot.appId,
      occurredAt: change.at, subscriptionType, attemptNumber: 0, objectId: Number(change.id), propertyName: name, propertyValue: value ?? '',
      changeSource: change.by === 'person' ? 'CRM_UI' : 'INTEGRATION', sourceId: change.by === 'person' ? 'userId:7001' : String(state.hubspot.appId),
      isSensitive: false,
    };
  };

  const observe = (change: SandboxChange) => {
    if (closed) return;
    if (change.system === 'stripe') {
      for (const event of admit(change.event as unknown as Record<string, unknown>)) stage({ vendor: 'stripe', events: [event], attempt: 1 });
      return;
    }
    for (const { name, value } of change.changes) queueHubSpot(hubspotNotification(change, name, value));
  };

  /** The body and signed headers of one attempt: each attempt is signed afresh, and HubSpot counts attempts in the body. */
  const request = (delivery: Delivery): { body: string; headers: Record<string, string> } => {
    if (delivery.vendor === 'stripe') {
      const body = JSON.stringify(delivery.events[0]);
      return { body, headers: { 'Stripe-Signature': stripeSignatureHeader(body, stripeSecrets, Math.floor(now() / 1000)) } };
    }
    if (delivery.vendor === 'hubspot') {
      const body = JSON.stringify(delivery.events.map((event) => ({ ...event, attemptNumber: delivery.attempt - 1 })));
      return { body, headers: hubSpotSignatureHeaders({ uri: `${publicBase}${paths.hubspot}`, body, clientSecret: hubspotSecret, timestampMs: now() }) };
    }
    const body = JSON.stringify(delivery.events[0]);
    return { body, headers: ghl().headers(body) };
  };

  const finish = (delivery: Delivery, ok: boolean) => {
    if (ok) {
      stats.delivered += 1;
      stats.eventsDelivered += delivery.events.length;
    } else if (closed) stats.abandoned += 1;
    else if (delivery.attempt >= maxAttempts) stats.failed += 1;
    else {
      const delay = Math.min(options.retryMaxMs ?? 2_000, (options.retryBaseMs ?? 50) * 2 ** (delivery.attempt - 1));
      const timer = setTimeout(() => {
        retryTimers.delete(timer);
        ready.push({ ...delivery, attempt: delivery.attempt + 1 });
        pump();
      }, delay);
      retryTimers.set(timer, delivery);
    }
  };

  const send = async (delivery: Delivery) => {
    const controller = new AbortController();
    inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), options.timeoutMs ?? 5_000);
    let ok = false;
    try {
      const { body, headers } = request(delivery);
      stats.attempts += 1;
      const status = await post(agent, new URL(`${base}${paths[delivery.vendor]}`), {
        'Content-Type': 'application/json', 'User-Agent': `recon-sandbox-webhooks (${delivery.vendor})`, ...headers,
      }, body, controller.signal);
      ok = status >= 200 && status < 300;
    } catch {
      ok = false;
    } finally {
      clearTimeout(timeout);
      inFlight.delete(controller);
    }
    finish(delivery, ok);
    pump();
  };

  function pump(): void {
    while (!closed && inFlight.size < concurrency && ready.length > 0) void send(ready.take() as Delivery);
    settleIfIdle();
  }

  const stopObserving = observeSandbox(state, (change) => {
    try {
      observe(change);
    } catch {
      // A sandbox API answer must not fail because its webhook could not be queued.
    }
  });

  return {
    env: () => ({
      STRIPE_WEBHOOK_SECRET: stripeSecrets[stripeSecrets.length - 1] as string,
      HUBSPOT_CLIENT_SECRET: hubspotSecret,
      RECON_PUBLIC_URL: publicBase,
      GHL_WEBHOOK_PUBLIC_KEY: ghl().publicKeyBase64,
    }),
    goHighLevelSigner: ghl,
    sendGoHighLevel: (event) => {
      if (closed) throw new Error('sandbox webhooks: the sender is closed');
      const complete = {
        ...event,
        ...(options.ghlAppId !== undefined && event.appId === undefined ? { appId: options.ghlAppId } : {}),
        webhookId: event.webhookId ?? sandboxSecret('wh_'),
        timestamp: event.timestamp ?? new Date(now()).toISOString(),
      };
      for (const copy of admit(complete)) stage({ vendor: 'gohighlevel', events: [copy], attempt: 1 });
    },
    stats: () => ({ ...stats }),
    flush: () => {
      // Twice: the second cut sends the copies held back for the batch after.
      cutHubSpotBatch();
      cutHubSpotBatch();
      releaseHeld();
      return new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
    },
    close: async () => {
      if (closed) return;
      closed = true;
      stopObserving();
      clearTimeout(holdTimer);
      clearTimeout(batchTimer);
      for (const timer of retryTimers.keys()) clearTimeout(timer);
      stats.abandoned += ready.length + held.length + retryTimers.size + Math.ceil((hubspotBuffer.length + hubspotLater.length) / batchSize);
      ready.clear();
      held = [];
      hubspotBuffer = [];
      hubspotLater = [];
      retryTimers.clear();
      for (const controller of inFlight) controller.abort();
      // Resolves once the aborted requests have come back; pending flush() calls resolve with it.
      await new Promise<void>((resolve) => {
        idleWaiters.push(resolve);
        settleIfIdle();
      });
      agent.destroy();
    },
  };
}
