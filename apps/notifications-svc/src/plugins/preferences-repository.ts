import type { Database } from '@conveyor/db/client';
import { notificationPreferences, type NotificationPreferences } from '@conveyor/db/schema';
import {
  defaultPreferences,
  type DigestFrequency,
  type NotificationType,
} from '@conveyor/notifications/model';
import { eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    preferencesRepository: PreferencesRepository;
  }
}

/** The fields a user may change; in-app notifications cannot be turned off. */
export interface PreferencesPatch {
  enabledTypes?: NotificationType[];
  digestFrequency?: DigestFrequency;
  emailEnabled?: boolean;
  /** A canonical IANA name (beyond spec 001); the route's schema canonicalizes it. */
  timezone?: string;
}

/** The row of a user who never changed anything: the spec 001 defaults, from one source. */
const defaultsFor = (userId: string) => ({
  userId,
  enabledTypes: [...defaultPreferences.enabledTypes],
  digestFrequency: defaultPreferences.digestFrequency,
  emailEnabled: defaultPreferences.emailEnabled,
  inAppEnabled: defaultPreferences.inAppEnabled,
  timezone: defaultPreferences.timezone,
});

/** A user's notification preferences: one row, created with the defaults on first read. */
export function createPreferencesRepository(db: Database) {
  const find = async (userId: string): Promise<NotificationPreferences | undefined> => {
    const [row] = await db
      .select()
      .from(notificationPreferences)
      .where(eq(notificationPreferences.userId, userId));
    return row;
  };

  return {
    /**
     * The user's preferences, created on first read. Race-safe without a transaction: when
     * two first reads meet, one insert wins, the other does nothing and returns no row, and
     * the read after it (a new statement, so a new snapshot) sees the winner's row.
     */
    async get(userId: string): Promise<NotificationPreferences> {
      const existing = await find(userId);
      if (existing) return existing;
      const [created] = await db
        .insert(notificationPreferences)
        .values(defaultsFor(userId))
        .onConflictDoNothing({ target: notificationPreferences.userId })
        .returning();
      const row = created ?? (await find(userId));
      if (!row) throw new Error(`notification preferences of ${userId} vanished after insert`);
      return row;
    },

    /**
     * Applies a partial change in one statement; a user with no row yet gets the defaults
     * with the change on top. An empty change writes nothing.
     */
    async update(userId: string, patch: PreferencesPatch): Promise<NotificationPreferences> {
      const changes = Object.fromEntries(
        Object.entries(patch).filter(([, value]) => value !== undefined),
      ) as PreferencesPatch;
      if (Object.keys(changes).length === 0) return this.get(userId);
      const [row] = await db
        .insert(notificationPreferences)
        .values({ ...defaultsFor(userId), ...changes })
        .onConflictDoUpdate({
          target: notificationPreferences.userId,
          set: { ...changes, updatedAt: sql`now()` },
        })
        .returning();
      return row!;
    },
  };
}

export type PreferencesRepository = ReturnType<typeof createPreferencesRepository>;

export default fp(
  async function preferencesRepository(app: FastifyInstance, options: { db: Database }) {
    app.decorate('preferencesRepository', createPreferencesRepository(options.db));
  },
  { name: 'preferences-repository', fastify: '5.x' },
);
