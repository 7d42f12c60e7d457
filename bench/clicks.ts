/**
 * The person's side of the Slack benchmarks, in a process of its own as Slack is: sends correctly
 * signed Approve clicks on the given review items to a `/slack/events` URL and measures each
 * one's time to its HTTP answer (the ack), as Slack would see it.
 *
 * Usage: tsx bench/clicks.ts '<json>' with { url, secret, items, clicks, concurrency, perSecond? }:
 * `perSecond` paces the clicks (people click at a pace, not all at once); without it, as fast as
 * `concurrency` allows. Prints one JSON line: each click's send time (epoch ms) and ack time (ms).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';

interface Options {
  url: string;
  secret: string;
  items: string[];
  clicks: number;
  concurrency: number;
  perSecond?: number;
  approve: string;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
if (!options.url || !options.items?.length) throw new Error('usage: tsx bench/clicks.ts \'{"url":...,"secret":...,"items":[...],"clicks":1000,"concurrency":10}\'');

/** Half the clicks from an approver, half from someone who is not one (refused, and logged). */
function signedClick(n: number): { body: string; headers: Record<string, string> } {
  const item = options.items[n % options.items.length] as string;
  const payload = {
    type: 'block_actions', user: { id: n % 2 ? 'U0OPSLEAD' : 'U0STRANGER', username: 'ops', team_id: 'T0RECON' }, team: { id: 'T0RECON', domain: 'recon' },
    api_app_id: 'A0RECON', token: 'legacy', trigger_id: `${n}.1.abc`, channel: { id: 'C0REVIEW', name: 'review' },
    container: { type: 'message', message_ts: '1700000000.000100', channel_id: 'C0REVIEW', is_ephemeral: false },
    message: { type: 'message', ts: '1700000000.000100', text: 'escalation' }, response_url: 'https://hooks.slack.com/actions/T/1/x',
    actions: [{ type: 'button', action_id: options.approve, block_id: 'actions', value: item, action_ts: String(Date.now() / 1000) }],
  };
  const body = `payload=${encodeURIComponent(JSON.stringify(payload))}`;
  const timestamp = Math.floor(Date.now() / 1000);
  const signature = `v0=${createHmac('sha256', options.secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
  return { body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)), 'x-slack-request-timestamp': String(timestamp), 'x-slack-signature': signature } };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
const post = (body: string, headers: Record<string, string>) =>
  new Promise<number>((resolve, reject) => {
    const req = http.request(options.url, { method: 'POST', agent, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });

const sentAt: number[] = [];
const ackMs: number[] = [];
const statuses: Record<string, number> = {};
const started = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: options.concurrency }, async () => {
    while (next < options.clicks) {
      const n = next++;
      if (options.perSecond) {
        const due = started + (n * 1000) / options.perSecond;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      const { body, headers } = signedClick(n);
      sentAt[n] = Date.now();
      const t = performance.now();
      const status = await post(body, headers).catch(() => 0);
      ackMs[n] = performance.now() - t;
      statuses[status] = (statuses[status] ?? 0) + 1;
    }
  }),
);
agent.destroy();
process.stdout.write(`${JSON.stringify({ sentAt, ackMs, statuses })}\n`);
