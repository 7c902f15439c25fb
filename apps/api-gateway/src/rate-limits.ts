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

/**
 * Budgets of the gateway's own, for endpoints spec 000 does not list and for which the default
 * write budget (RATE_LIMIT_DEFAULT_WRITE, 60) would be too generous. Each rule is an endpoint of
 * its own, like the single-job admin actions (retry, cancel, pause, resume, clean, trigger),
 * which keep the default.
 */
export const gatewayRateLimits: readonly RateLimitRule[] = [
  // Bulk retry and bulk cancel by filter (issue 7): one request may touch thousands of jobs and
  // starts a tracked batch job in admin-jobs-svc, so they get the budget spec 000 gives its own
  // bulk write, `POST /api/notifications/read-all`: 10 a minute, one every 6 s on average, ample
  // for an admin at a console and a bound on how many batches a script can start. Retry and
  // cancel have a budget each, so spending one never blocks the other.
  { method: 'POST', route: '/api/admin/jobs/bulk/retry', limit: 10 },
  { method: 'POST', route: '/api/admin/jobs/bulk/cancel', limit: 10 },
];

/** Every listed budget: spec 000's, then the gateway's own; the first rule that matches wins. */
export const rateLimitRules: readonly RateLimitRule[] = [...specRateLimits, ...gatewayRateLimits];

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
    const rule = rateLimitRules.find((candidate) => ruleMatches(candidate, budgetMethod, route));
    const endpoint = rule ? `${rule.method} ${rule.route}` : `${budgetMethod} ${route}`;
    const base =
      rule?.limit ?? (readMethods.has(budgetMethod) ? settings.defaultRead : settings.defaultWrite);
    const limit = Math.max(1, Math.round(base * settings.scale));
    return { endpoint, limit, keyPrefix: `${endpoint}|` };
  };
}

export type PolicyResolver = ReturnType<typeof createPolicyResolver>;
