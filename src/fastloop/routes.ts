/** The webhook endpoints as routes of `recon serve`'s table: one POST per provider, answered by `receiveWebhook`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAnswer, type Route } from '../http/routes.ts';
import { receiveWebhook, WEBHOOK_PATHS, type IngestDeps } from './ingest.ts';
import type { WebhookProvider } from './verify/errors.ts';

/**
 * Every provider's path is routed, configured or not: one without a secret answers 404 with why,
 * so a vendor pointed at the wrong place fails loudly and `doctor` can say which are on.
 */
export function webhookRoutes(deps: IngestDeps): Route[] {
  return (Object.entries(WEBHOOK_PATHS) as [WebhookProvider, string][]).map(([provider, path]) => ({
    method: 'POST',
    path,
    handler: async (req: IncomingMessage, res: ServerResponse, rawBody?: Buffer) => {
      const answer = await receiveWebhook(deps, provider, { method: req.method ?? 'POST', url: req.url ?? path, headers: req.headers, rawBody: rawBody ?? Buffer.alloc(0) });
      sendAnswer(res, answer.status, answer.body);
    },
  }));
}
