import { sql } from 'drizzle-orm';
import type { Database } from './client.js';
import { users, type NewUser } from './schema.js';

/** The demo users of `pnpm dev`, one per role, with stable ids that `pnpm token` can name. */
export const demoUsers = [
  { id: 'demo-admin', email: 'admin@conveyor.test', name: 'Ada Admin', role: 'ADMIN' },
  { id: 'demo-creator', email: 'creator@conveyor.test', name: 'Cleo Creator', role: 'CREATOR' },
  { id: 'demo-brand', email: 'brand@conveyor.test', name: 'Bram Brand', role: 'BRAND' },
  { id: 'demo-viewer', email: 'viewer@conveyor.test', name: 'Vic Viewer', role: 'VIEWER' },
] as const satisfies readonly NewUser[];

/** Inserts the demo users, or refreshes them; running it twice changes nothing. */
export async function seedDemoData(db: Database): Promise<void> {
  await db
    .insert(users)
    .values([...demoUsers])
    .onConflictDoUpdate({
      target: users.id,
      set: {
        email: sql`excluded.email`,
        name: sql`excluded.name`,
        role: sql`excluded.role`,
      },
    });
}
