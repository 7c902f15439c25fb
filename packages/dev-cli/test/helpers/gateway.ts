/** One answer of the gateway: its status, headers and JSON body. */
export interface GatewayResponse<Body = unknown> {
  status: number;
  headers: Headers;
  body: Body;
}

export type GatewayCall = <Body = unknown>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  options?: { token?: string; json?: unknown },
) => Promise<GatewayResponse<Body>>;

/** Calls the gateway at `baseUrl` as a client would: a bearer token and a JSON body, if any. */
export function gatewayClient(baseUrl: string): GatewayCall {
  return async <Body>(
    method: string,
    path: string,
    { token, json }: { token?: string; json?: unknown } = {},
  ): Promise<GatewayResponse<Body>> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(path, baseUrl), {
      method,
      headers,
      ...(json === undefined ? {} : { body: JSON.stringify(json) }),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: the text itself shows in a failed assertion.
    }
    return { status: response.status, headers: response.headers, body: body as Body };
  };
}

/** The rate-limit headers of spec 000, as numbers; `undefined` where one is missing. */
export interface RateLimitHeaders {
  limit: number | undefined;
  remaining: number | undefined;
  /** Unix time in seconds. */
  reset: number | undefined;
  /** Seconds; only on a 429. */
  retryAfter: number | undefined;
}

const integerHeader = (headers: Headers, name: string): number | undefined => {
  const value = headers.get(name);
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
};

export function rateLimitHeaders(headers: Headers): RateLimitHeaders {
  return {
    limit: integerHeader(headers, 'x-ratelimit-limit'),
    remaining: integerHeader(headers, 'x-ratelimit-remaining'),
    reset: integerHeader(headers, 'x-ratelimit-reset'),
    retryAfter: integerHeader(headers, 'retry-after'),
  };
}
