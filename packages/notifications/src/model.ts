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

export const allNotificationTypes: readonly NotificationType[] = notificationType.enumValues;

/** Preferences of a user who never changed them (spec 001 defaults). */
export const defaultPreferences = {
  enabledTypes: allNotificationTypes,
  digestFrequency: 'IMMEDIATE',
  emailEnabled: true,
  inAppEnabled: true,
} as const satisfies {
  enabledTypes: readonly NotificationType[];
  digestFrequency: DigestFrequency;
  emailEnabled: boolean;
  inAppEnabled: boolean;
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
