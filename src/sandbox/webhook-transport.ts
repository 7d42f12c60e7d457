/** How the sandbox's webhooks travel: a POST over kept-alive node:http, and the queue they wait in. */
import { request as httpRequest } from 'node:http';
import type { Agent } from 'node:http';

/** One POST over a kept-alive connection; resolves with the status. (node:http: several times fetch's rate on loopback.) */
export function post(agent: Agent, url: URL, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method: 'POST', agent, signal, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** A first-in first-out queue whose take is O(1): a benchmark may queue a hundred thousand requests. */
export class Queue<T> {
  private items: T[] = [];
  private head = 0;
  get length(): number {
    return this.items.length - this.head;
  }
  push(...items: T[]): void {
    this.items.push(...items);
  }
  take(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
