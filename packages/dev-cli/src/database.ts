import { createDb } from '@conveyor/db/client';
import { migrateDatabase } from '@conveyor/db/migrate';
import { seedDemoData } from '@conveyor/db/seed';

/** Creates the database when missing, applies every migration and seeds the demo users; idempotent. */
export async function prepareDatabase(url: string): Promise<void> {
  await migrateDatabase(url);
  const handle = createDb(url, { max: 1, applicationName: 'conveyor-dev' });
  try {
    await seedDemoData(handle.db);
  } finally {
    await handle.close();
  }
}
