/** Every budget of spec 000 is per minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;

export interface RateLimitRule {
  method: string;
  /** A route pattern; a trailing `/*` covers the pattern's base and everything below it. */
  route: string;
  /** Requests per window per user. */
  limit: number;
}

/** Spec 000, "Rate Limits by Endpoint", to the letter. */
export const specRateLimits: readonly RateLimitRule[] = [
  { method: 'GET', route: '/api/notifications', limit: 100 },
  { method: 'GET', route: '/api/notifications/unread-count', limit: 200 },
  { method: 'POST', route: '/api/notifications/:id/read', limit: 100 },
  { method: 'POST', route: '/api/notifications/read-all', limit: 10 },
  { method: 'GET', route: '/api/notifications/preferences', limit: 50 },
  { method: 'PATCH', route: '/api/notifications/preferences', limit: 10 },
  { method: 'GET', route: '/api/admin/jobs/*', limit: 100 },
];

/** The budget one request draws from. */
export interface RateLimitPolicy {
  /** Method and route pattern, e.g. `POST /api/notifications/:id/read`: the endpoint the budget belongs to. */
  endpoint: string;
  /** Requests per window per user, after RATE_LIMIT_SCALE. */
  limit: number;
  /** The Redis key without the user id. Endpoints never contain `|`, so no two (endpoint, user) pairs share a key. */
  keyPrefix: string;
}

export interface RateLimitSettings {
  /** Multiplier applied to every limit. */
  scale: number;
  /** Limit of an unlisted GET, HEAD or OPTIONS endpoint. */
  defaultRead: number;
  /** Limit of an unlisted POST, PUT, PATCH or DELETE endpoint. */
  defaultWrite: number;
}

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

function ruleMatches(rule: RateLimitRule, method: string, route: string): boolean {
  if (rule.method !== method) return false;
  if (!rule.route.endsWith('/*')) return rule.route === route;
  const base = rule.route.slice(0, -2);
  return route === base || route.startsWith(`${base}/`);
}

/**
 * Resolves the budget of an endpoint. Called once per route and method when the routes are
 * registered, never per request.
 */
export function createPolicyResolver(settings: RateLimitSettings) {
  return function policyFor(method: string, route: string): RateLimitPolicy {
    // A HEAD costs the service the same work as a GET, so it spends the GET budget.
    const budgetMethod = method === 'HEAD' ? 'GET' : method;
    const rule = specRateLimits.find((candidate) => ruleMatches(candidate, budgetMethod, route));
    const endpoint = rule ? `${rule.method} ${rule.route}` : `${budgetMethod} ${route}`;
    const base =
      rule?.limit ?? (readMethods.has(budgetMethod) ? settings.defaultRead : settings.defaultWrite);
    const limit = Math.max(1, Math.round(base * settings.scale));
    return { endpoint, limit, keyPrefix: `${endpoint}|` };
  };
}

export type PolicyResolver = ReturnType<typeof createPolicyResolver>;
