import {
  digestFrequency,
  notificationPriority,
  notificationType,
  type Notification,
} from '@conveyor/db/schema';
import { z } from 'zod';

/** The enums of spec 001, one source with the database. */
export const NotificationTypeSchema = z.enum(notificationType.enumValues);
export const NotificationPrioritySchema = z.enum(notificationPriority.enumValues);
export const DigestFrequencySchema = z.enum(digestFrequency.enumValues);

export type NotificationType = z.infer<typeof NotificationTypeSchema>;
export type NotificationPriority = z.infer<typeof NotificationPrioritySchema>;
export type DigestFrequency = z.infer<typeof DigestFrequencySchema>;

/**
 * A zone name the runtime's time-zone database knows, in a stable spelling, or null. Case is
 * fixed (`asia/tokyo` is `Asia/Tokyo`); a link such as `Asia/Kolkata` is kept as the user wrote
 * it rather than turned into the runtime's own spelling (Node 20's ICU says `Asia/Calcutta`),
 * since PostgreSQL, which computes the digests' hours, knows both.
 */
export function canonicalTimeZone(name: string): string | null {
  if (name.length === 0 || name.length > 64) return null;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
  return resolved.toLowerCase() === name.toLowerCase() ? resolved : name;
}

/** An IANA time zone (beyond spec 001), kept in its canonical spelling. */
export const TimeZoneSchema = z.string().transform((name, context) => {
  const canonical = canonicalTimeZone(name);
  if (canonical === null) {
    context.addIssue({ code: 'custom', message: 'must be an IANA time zone, e.g. Europe/Paris' });
    return z.NEVER;
  }
  return canonical;
});

export const allNotificationTypes: readonly NotificationType[] = notificationType.enumValues;

/** Preferences of a user who never changed them (spec 001 defaults). */
export const defaultPreferences = {
  enabledTypes: allNotificationTypes,
  digestFrequency: 'IMMEDIATE',
  emailEnabled: true,
  inAppEnabled: true,
  /** Digests at 09:00 UTC, as spec 001 says. */
  timezone: 'UTC',
} as const satisfies {
  enabledTypes: readonly NotificationType[];
  digestFrequency: DigestFrequency;
  emailEnabled: boolean;
  inAppEnabled: boolean;
  timezone: string;
};

/** A notification as the API shows it (spec 001 `Notification`). */
export function toApiNotification(row: Notification) {
  return {
    id: row.id,
    type: row.type,
    title: row.title,
    message: row.message,
    actionUrl: row.actionUrl,
    priority: row.priority,
    read: row.read,
    readAt: row.readAt?.toISOString() ?? null,
    metadata: row.metadata,
    createdAt: row.createdAt.toISOString(),
  };
}
