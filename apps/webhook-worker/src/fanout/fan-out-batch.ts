import type { Database } from '@conveyor/db/client';
import type { JobEvent } from '@conveyor/job-events/events';
import { withJobInfo, type JobInfoReader } from '@conveyor/job-events/job-info';
import { applyIsolated } from '@conveyor/job-events/stream-consumer';
import type { Logger } from '@conveyor/runtime/logger';
import { enqueueJobMessages } from '@conveyor/webhooks/enqueue';
import type { OutgoingMessage } from '@conveyor/webhooks/messages';
import { isWebhookEvent, toJobMessage } from './job-messages.js';
import { findJobOwners, jobKeyOf } from './job-owners.js';

export interface FanOutContext {
  db: Database;
  logger: Logger;
  /** New deliveries were stored: the dispatcher of this process may look for them now. */
  onDeliveries?: () => void;
}

/**
 * Turns one batch of job events into webhook messages and their deliveries: the progress and
 * end of every job that has an owner, for each of the owner's endpoints that wants it
 * (`enqueueJobMessages`). Events of system jobs, and of jobs neither Redis nor `job_runs`
 * knows any more, are dropped. Idempotent: a batch handed over again after a crash names the
 * same messages and adds nothing. If the data of one owner makes the database refuse the
 * batch (the user deleted meanwhile), only that owner's messages are skipped.
 */
export async function fanOutBatch(
  context: FanOutContext,
  events: readonly JobEvent[],
  readInfo: JobInfoReader,
): Promise<void> {
  const { db, logger } = context;
  const wanted = events.filter(isWebhookEvent);
  if (wanted.length === 0) return;
  const owners = await findJobOwners(db, await withJobInfo(readInfo, wanted));
  const messages = wanted.flatMap((event) => {
    const owner = owners.get(jobKeyOf(event.queue, event.jobId));
    return owner ? [toJobMessage(event, owner)] : [];
  });

  let deliveries = 0;
  await applyIsolated(messages, {
    apply: async (some: OutgoingMessage[]) => {
      deliveries += (await enqueueJobMessages(db, some)).deliveries;
    },
    groupOf: (message) => message.ownerId,
    onRefused: ([message], error) => {
      logger.error({ err: error, ownerId: message?.ownerId }, 'webhook messages refused; skipped');
    },
  });
  logger.debug(
    { events: wanted.length, messages: messages.length, deliveries },
    'webhook deliveries enqueued',
  );
  if (deliveries > 0) context.onDeliveries?.();
}
