// The catalog of the platform's queues and jobs; producers and workers both import it.
export * from './queues.js';
export * from './options.js';
export * from './jobs.js';
export * from './schedules.js';
export * from './cancellation.js';
