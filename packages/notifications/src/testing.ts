/** Rows for tests of the apps that read notifications: users, preferences, notifications. */
import { randomUUID } from 'node:crypto';
import type { Database } from '@conveyor/db/client';
import { notificationPreferences, notifications, users } from '@conveyor/db/schema';
import type { DigestFrequency, NotificationType } from '@conveyor/notifications/model';
import { eq } from 'drizzle-orm';

export interface UserFixture {
  id?: string;
  /** null for a user whose token never carried an address. */
  email?: string | null;
  /** Stored preferences; without them the user has none (the defaults apply). */
  preferences?: {
    emailEnabled: boolean;
    digestFrequency: DigestFrequency;
    enabledTypes: NotificationType[];
    /** IANA zone of the user's digests. @defaultValue `UTC` */
    timezone?: string;
  };
}

/** A user (and their preferences row, when given); returns the id and address. */
export async function createUser(db: Database, fixture: UserFixture = {}) {
  const id = fixture.id ?? `user-${randomUUID()}`;
  const email = fixture.email === undefined ? `${id}@example.test` : fixture.email;
  await db.insert(users).values({ id, email, name: id, role: 'CREATOR' });
  if (fixture.preferences) {
    await db.insert(notificationPreferences).values({ userId: id, ...fixture.preferences });
  }
  return { id, email };
}

export type NotificationFixture = Partial<typeof notifications.$inferInsert> & { userId: string };

/** A notification row written straight to SQL, with no job: what a commit leaves behind. */
export async function createNotification(db: Database, fixture: NotificationFixture) {
  const [row] = await db
    .insert(notifications)
    .values({
      type: 'MESSAGE',
      title: 'New message from Ada',
      message: 'Ada sent you a message about the Lovelace project.',
      ...fixture,
    })
    .returning({ id: notifications.id });
  return row!.id;
}

/** The email columns of a notification, for assertions. */
export async function emailState(db: Database, notificationId: string) {
  const [row] = await db
    .select({
      emailStatus: notifications.emailStatus,
      emailAttempts: notifications.emailAttempts,
      emailReason: notifications.emailReason,
      emailSentAt: notifications.emailSentAt,
      emailClaimedAt: notifications.emailClaimedAt,
      read: notifications.read,
    })
    .from(notifications)
    .where(eq(notifications.id, notificationId));
  return row;
}
