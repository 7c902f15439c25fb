import { createNotifications, type CreateDeps } from '@conveyor/notifications/create';
import type { DisabledEndpoint } from './endpoint-health.js';

/** Longest URL quoted in a notice; the notification's message has a length limit. */
const QUOTED_URL_CHARS = 1_000;

const quoted = (url: string) =>
  url.length > QUOTED_URL_CHARS ? `${url.slice(0, QUOTED_URL_CHARS)}…` : url;

/** `120` hours reads `5 days`; `0.5` reads `30 minutes`. */
export function describePeriod(hours: number): string {
  const plural = (count: number, unit: string) => `${count} ${unit}${count === 1 ? '' : 's'}`;
  if (hours >= 48) return plural(Math.round((hours / 24) * 10) / 10, 'day');
  if (hours >= 1) return plural(Math.round(hours * 10) / 10, 'hour');
  return plural(Math.max(1, Math.round(hours * 60)), 'minute');
}

/** The in-app notification telling an endpoint's owner it was turned off, and why. */
export function disabledNotice(endpoint: DisabledEndpoint, disableAfterHours: number) {
  const why =
    endpoint.reason === 'gone'
      ? 'answered 410 Gone, which asks for nothing more to be sent to it'
      : `failed every delivery for ${describePeriod(disableAfterHours)}`;
  return {
    userId: endpoint.ownerId,
    type: 'SYSTEM' as const,
    priority: 'HIGH' as const,
    title: 'Webhook endpoint disabled',
    message:
      `Your webhook endpoint ${quoted(endpoint.url)} ${why}, so it has been disabled and its ` +
      `pending deliveries were dropped. Once it works again, turn it back on with ` +
      `PUT /api/webhooks/${endpoint.id} and "active": true.`,
    metadata: { webhookId: endpoint.id, url: endpoint.url, reason: endpoint.reason },
  };
}

/**
 * Tells the owner of an endpoint just turned off, through the notifications service's own
 * `createNotifications` (an in-app row, its email delivery job, a push to open sockets). Runs
 * after the commit that turned it off: the delivery job must find the row committed.
 */
export async function notifyDisabled(
  deps: CreateDeps,
  endpoint: DisabledEndpoint,
  disableAfterHours: number,
): Promise<void> {
  await createNotifications(deps, disabledNotice(endpoint, disableAfterHours));
}
