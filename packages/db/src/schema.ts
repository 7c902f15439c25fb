// Every table of the platform; drizzle-kit reads this file to generate migrations.
export * from './schema/users.js';
export * from './schema/job-runs.js';
export * from './schema/notifications.js';
export * from './schema/digests.js';
export * from './schema/webhooks.js';
export * from './schema/admin.js';
export * from './schema/assets.js';
