import type { Config } from './config.js';

/** Names of the upstream services, as used in `/api/openapi/<name>.json`, metrics and readiness. */
export type UpstreamName = 'notifications' | 'admin-jobs' | 'webhooks';

/** A path prefix one upstream serves, and the route patterns the gateway knows below it. */
export interface UpstreamPrefix {
  prefix: string;
  /**
   * Route patterns relative to `prefix`. Each known pattern is an endpoint of its own (its own
   * rate-limit budget), so ids in paths never open new budgets; `/*` catches the rest.
   */
  routes: readonly string[];
}

export interface Upstream {
  name: UpstreamName;
  /** Origin of the service; paths are forwarded unchanged, since each service serves `/api/...`. */
  url: string;
  prefixes: readonly UpstreamPrefix[];
}

const catchAll = ['/', '/*'] as const;

/** The three services behind the gateway and the paths each one serves (DESIGN.md, "Shape"). */
export function upstreamsFrom(config: Config): readonly Upstream[] {
  return [
    {
      name: 'notifications',
      url: config.NOTIFICATIONS_URL,
      prefixes: [
        {
          prefix: '/api/notifications',
          routes: [...catchAll, '/unread-count', '/read-all', '/preferences', '/:id', '/:id/read'],
        },
      ],
    },
    {
      name: 'admin-jobs',
      url: config.ADMIN_JOBS_URL,
      prefixes: [
        {
          prefix: '/api/admin/jobs',
          // Every admin read shares one budget (spec 000); each action has its own.
          routes: [
            ...catchAll,
            '/:queueName/:jobId/retry',
            '/jobs/:queueName/:jobId/cancel',
            '/jobs/:queueName/:jobId/wait',
            '/queues/:queueName/pause',
            '/queues/:queueName/resume',
            '/queues/:queueName/clean',
            '/schedulers/:queueName/:schedulerId/trigger',
            // Bulk retry and cancel by filter, each run as a tracked batch (rate-limits.ts).
            '/bulk/retry',
            '/bulk/cancel',
            '/batches',
            '/batches/:batchId',
            // The admin WebSocket (rooms `queues`, `tasks`, `tasks:<queue>`, `batch`).
            '/stream',
          ],
        },
      ],
    },
    {
      name: 'webhooks',
      url: config.WEBHOOKS_URL,
      prefixes: [
        { prefix: '/api/jobs', routes: [...catchAll, '/:jobId', '/:jobId/wait'] },
        {
          prefix: '/api/webhooks',
          routes: [
            ...catchAll,
            '/:id',
            '/:id/deliveries',
            '/:id/deliveries/:deliveryId/resend',
            '/:id/rotate-secret',
            '/:id/test',
          ],
        },
        // The real-time socket and its tickets; no catch-all, there is nothing else below.
        { prefix: '/api/realtime', routes: ['/', '/ticket'] },
      ],
    },
  ];
}

/**
 * Routes whose WebSocket handshake may carry a single-use `?ticket=` instead of a token: a
 * browser cannot set `Authorization` on a handshake, and a cross-origin page has no session
 * cookie for the gateway. The ticket comes from an authenticated, rate-limited
 * `POST /api/realtime/ticket` and lives in the ticket store in Redis that the services share;
 * the service the socket belongs to redeems it from there (once, within seconds) and judges its
 * claims: webhooks-svc for the user's `/api/realtime`, admin-jobs-svc for `/api/admin/jobs/stream`,
 * which also requires them to be ADMIN. The gateway never reads the store, so it lets such a
 * handshake through its own token, role and rate-limit checks (see routes/proxy/guard.ts); the
 * service's refusal of a bad, used or expired ticket (or, on the admin stream, of one whose
 * claims are not ADMIN) reaches the client as the handshake's answer, a 401 for a bad ticket.
 * Without `?ticket=` these handshakes are judged by the gateway like any request: a token, the
 * ADMIN role under `/api/admin`, the route's rate limit.
 */
const ticketUpgradeRoutes: ReadonlySet<string> = new Set([
  '/api/realtime',
  '/api/admin/jobs/stream',
]);

export function acceptsTicketUpgrade(route: string): boolean {
  return ticketUpgradeRoutes.has(route);
}

/**
 * Routes that hold their answer back for as long as the caller asks in `?timeout=` (seconds):
 * spec 003's long poll, which may last longer than UPSTREAM_TIMEOUT_MS allows any other answer
 * to take. The proxy gives them a timeout of their own (routes/proxy/long-poll.ts).
 */
const longPollRoutes: ReadonlySet<string> = new Set([
  '/api/jobs/:jobId/wait',
  '/api/admin/jobs/jobs/:queueName/:jobId/wait',
]);

export function isLongPollRoute(route: string): boolean {
  return longPollRoutes.has(route);
}

/** Whether a route pattern lies under `/api/admin`, which only the ADMIN role may reach. */
export function isAdminRoute(route: string): boolean {
  return route === '/api/admin' || route.startsWith('/api/admin/');
}
