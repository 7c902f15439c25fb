import { createDb } from './client.js';
import { loadDbScriptConfig } from './config.js';
import { seedDemoData } from './seed.js';

const { DATABASE_URL } = loadDbScriptConfig(process.env);
const handle = createDb(DATABASE_URL, { max: 1, applicationName: 'conveyor-seed' });
try {
  await seedDemoData(handle.db);
  console.log('demo data seeded');
} catch (error) {
  console.error('seed failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await handle.close();
}
