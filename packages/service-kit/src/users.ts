import { users } from '@conveyor/db/schema';
import type { Database } from '@conveyor/db/client';
import { sql } from 'drizzle-orm';
import type { Claims } from './claims.js';

/**
 * Just-in-time provisioning: the first verified request of a `sub` creates its `users` row and
 * a later token with other claims refreshes role, email and name. The write happens once per
 * claim set per process, not per request.
 */
export function createUserProvisioner(db: Database, { cacheSize = 50_000 } = {}) {
  const known = new Map<string, string>();
  return async function ensureUser(claims: Claims): Promise<void> {
    const fingerprint = `${claims.role}\n${claims.email ?? ''}\n${claims.name ?? ''}`;
    if (known.get(claims.sub) === fingerprint) return;
    await db
      .insert(users)
      .values({ id: claims.sub, role: claims.role, email: claims.email, name: claims.name })
      .onConflictDoUpdate({
        target: users.id,
        set: {
          role: sql`excluded.role`,
          email: sql`coalesce(excluded.email, ${users.email})`,
          name: sql`coalesce(excluded.name, ${users.name})`,
        },
        setWhere: sql`${users.role} is distinct from excluded.role
          or (excluded.email is not null and ${users.email} is distinct from excluded.email)
          or (excluded.name is not null and ${users.name} is distinct from excluded.name)`,
      });
    if (known.size >= cacheSize) known.delete(known.keys().next().value!);
    known.set(claims.sub, fingerprint);
  };
}
