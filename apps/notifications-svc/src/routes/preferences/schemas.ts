import {
  allNotificationTypes,
  DigestFrequencySchema,
  NotificationTypeSchema,
  TimeZoneSchema,
  type NotificationType,
} from '@conveyor/notifications/model';
import type { NotificationPreferences } from '@conveyor/db/schema';
import { z } from 'zod';
import { successOf } from '../../schemas/envelope.js';

/** One wording for the answer and the body, so the document cannot describe them apart. */
const timezoneDescription =
  'IANA time zone, beyond spec 001: DAILY digests go at 09:00 local time in this zone, ' +
  'WEEKLY ones at 09:00 on Monday. Sent names are stored canonical (`asia/tokyo` is ' +
  '`Asia/Tokyo`); `UTC` by default, which is spec 001’s 09:00 UTC.';

/** Spec 001 `NotificationPreferences`, plus `timezone` (beyond the spec). */
export const PreferencesSchema = z.object({
  userId: z.string(),
  enabledTypes: z.array(NotificationTypeSchema).describe('Types the user gets emails for'),
  digestFrequency: DigestFrequencySchema,
  emailEnabled: z.boolean().describe('Global email toggle'),
  inAppEnabled: z.literal(true).describe('Always true'),
  lastDigestSentAt: z.iso.datetime().optional().describe('ISO 8601; absent before the first'),
  // Plain string: rows are canonical already, and an answer schema cannot transform.
  timezone: z.string().describe(timezoneDescription),
});

export const PreferencesResponseSchema = successOf(PreferencesSchema);

/** A set of types in the enum's order, whatever the order and repetitions it was sent with. */
const uniqueTypes = (types: NotificationType[]): NotificationType[] =>
  allNotificationTypes.filter((type) => types.includes(type));

/**
 * Spec 001 `UpdateNotificationPreferencesRequest`, strict: an unknown field is refused rather
 * than silently ignored, so a client's typo cannot look like a saved change.
 */
export const UpdatePreferencesSchema = z
  .object({
    enabledTypes: z.array(NotificationTypeSchema).transform(uniqueTypes).optional(),
    digestFrequency: DigestFrequencySchema.optional(),
    emailEnabled: z.boolean().optional(),
    inAppEnabled: z
      .boolean()
      .refine((enabled) => enabled, { error: 'In-app notifications cannot be turned off' })
      .optional()
      .describe('Accepted only as true, which changes nothing'),
    timezone: TimeZoneSchema.optional().describe(timezoneDescription),
  })
  .strict();

/** The API shape of a preferences row; `lastDigestSentAt` is left out until there is one. */
export function toApiPreferences(row: NotificationPreferences) {
  return {
    userId: row.userId,
    enabledTypes: row.enabledTypes,
    digestFrequency: row.digestFrequency,
    emailEnabled: row.emailEnabled,
    // Spec 001: "Always true"; in-app notifications cannot be turned off.
    inAppEnabled: true as const,
    timezone: row.timezone,
    ...(row.lastDigestSentAt ? { lastDigestSentAt: row.lastDigestSentAt.toISOString() } : {}),
  };
}
