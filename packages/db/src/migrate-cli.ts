import { loadDbScriptConfig } from './config.js';
import { migrateDatabase } from './migrate.js';

// `pnpm db:migrate` and the Kubernetes migration Job: exit 0 when the schema is current.
const { DATABASE_URL } = loadDbScriptConfig(process.env);
try {
  await migrateDatabase(DATABASE_URL);
  console.log('migrations applied');
} catch (error) {
  console.error('migration failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
