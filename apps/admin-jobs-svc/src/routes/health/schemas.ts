import { successOf } from '@conveyor/service-kit/envelope';
import { z } from 'zod';

export const healthTags = ['workers'];

const count = z.number().int().min(0);
const iso = z.iso.datetime().describe('ISO 8601');

const GroupHealthSchema = z.object({
  healthy: z
    .boolean()
    .describe(
      'A running instance, no stalled queue, and the job schedulers of its queues in place',
    ),
  workers: z
    .record(
      z.string().describe('The instance: host:pid:suffix'),
      z.object({
        isRunning: z.boolean().describe('It heartbeat within the last 3 heartbeats'),
        error: z
          .string()
          .optional()
          .describe('Why it is not healthy: no heartbeat, or stalled while jobs wait'),
      }),
    )
    .describe('Its instances, running or silent for less than 10 minutes'),
  scheduledJobs: count
    .optional()
    .describe('BullMQ job schedulers on its queues; only for groups that own some'),
});

/**
 * Spec 002 "Get All Workers Health": `healthy`, then one group per worker app: `notifications`
 * (delivery-worker), `digests` (digest-worker), `webhooks` (webhook-worker), `previews`
 * (preview-worker), `admin` (this service's bulk worker), and any other app that registers,
 * under its own name.
 */
export const HealthResponseSchema = successOf(
  // An intersection, not a catchall: `healthy` itself is not a group.
  z.intersection(
    z.object({ healthy: z.boolean().describe('True if every group is healthy') }),
    z.record(z.string().describe('The group'), z.union([z.boolean(), GroupHealthSchema])),
  ),
);

export const WorkersQuerySchema = z.object({
  app: z.string().min(1).optional().describe('Only instances of this app'),
  queue: z.string().min(1).optional().describe('Only instances consuming this queue'),
});

export const WorkerSchema = z.object({
  id: z.string().describe('The instance: host:pid:suffix, its key in `/health`'),
  group: z.string().describe('Its group in `/health`'),
  app: z.string(),
  queues: z.array(z.string()).describe('What it consumes; `webhooks` for the webhook worker'),
  host: z.string(),
  pid: count,
  version: z.string(),
  concurrency: count,
  heartbeatMs: count.describe('Milliseconds between its heartbeats'),
  startedAt: iso,
  lastHeartbeat: iso,
  lastCompletedAt: iso.nullable().describe('When it last completed a job; null if never'),
  completed: count.describe('Jobs it completed since it started'),
  failed: count.describe('Job attempts that failed on it since it started'),
  active: count.describe('Jobs in hand now'),
  isRunning: z.boolean(),
});

export const WorkersResponseSchema = successOf(z.array(WorkerSchema));
