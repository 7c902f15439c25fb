import { request, type Dispatcher } from 'undici';

/**
 * GETs a JSON document from an upstream within `timeoutMs` (connecting included), or throws.
 * For the gateway's own calls (OpenAPI documents, health probes), not for proxied traffic.
 */
export async function getJson(
  dispatcher: Dispatcher,
  url: string,
  timeoutMs: number,
): Promise<unknown> {
  const response = await request(url, {
    dispatcher,
    headers: { accept: 'application/json' },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.statusCode !== 200) {
    await response.body.dump();
    throw new Error(`${url} answered ${response.statusCode}`);
  }
  return response.body.json();
}
