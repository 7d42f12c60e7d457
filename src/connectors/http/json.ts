/**
 * One JSON request over fetch, as the HubSpot and GoHighLevel clients send them: query string,
 * bearer headers and body, a timeout per attempt, and a failure to connect, a timeout or an answer
 * that is not JSON turned into an {@link ApiError}. Retries, limits and the vendor's error bodies
 * stay with each client.
 */
import { ApiError, type RequestInfo } from './retry.ts';

export interface JsonRequest {
  baseUrl: string;
  method: string;
  path: string;
  query?: Record<string, string | undefined> | undefined;
  headers: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}

/** Sends one request; resolves with the response and its text whatever the status. */
export async function sendJson(fetchImpl: typeof fetch, info: RequestInfo, request: JsonRequest): Promise<{ response: Response; text: string }> {
  const url = new URL(request.baseUrl + request.path);
  for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
  const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const response = await fetchImpl(url, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    return { response, text: await response.text() };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    throw new ApiError({
      ...info, kind: timedOut ? 'timeout' : 'network', status: null,
      vendorMessage: `${error instanceof Error ? error.message : String(error)}${cause}`,
    });
  }
}

/** A successful answer's JSON; an empty body is `{}`. */
export function jsonOf(info: RequestInfo, status: number, text: string): unknown {
  try {
    return text === '' ? {} : JSON.parse(text);
  } catch {
    throw new ApiError({ ...info, kind: 'http', status, vendorMessage: `answer is not JSON: ${text.slice(0, 200)}` });
  }
}
