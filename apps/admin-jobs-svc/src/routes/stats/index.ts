import { successOf } from '@conveyor/service-kit/envelope';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notificationStats } from '../../queues/notification-stats.js';
import { errorResponses } from '../queues/errors.js';
import type { AdminRouteDeps } from '../queues/route-deps.js';

const count = z.number().int().min(0);
const isoTimestamp = z.iso.datetime().optional().describe('ISO 8601');

/** Spec 002 "Get Notification Delivery Job Stats": `NotificationJobStats`. */
const NotificationStatsResponseSchema = successOf(
  z.object({
    delivery: z
      .object({
        waiting: count.describe('Waiting to be sent, prioritized and paused included'),
        active: count,
        completed: count.describe('Completed jobs Redis still retains'),
        failed: count.describe('Failed jobs Redis still retains'),
      })
      .describe('The notification-delivery queue'),
    digest: z
      .object({
        lastDailyRun: isoTimestamp,
        lastWeeklyRun: isoTimestamp,
        nextDailyRun: isoTimestamp,
        nextWeeklyRun: isoTimestamp,
      })
      .describe('The hours the DAILY and WEEKLY digests last ran for and will next run'),
  }),
);

const statsRoutes: FastifyPluginAsyncZod<AdminRouteDeps> = async (app, deps) => {
  app.get(
    '/notifications/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Notification delivery and digest stats',
        description: 'Spec 002: the delivery queue’s counts and the digests’ last and next runs.',
        response: {
          200: NotificationStatsResponseSchema.describe('The stats'),
          ...errorResponses(403),
        },
      },
    },
    async () => ({
      success: true as const,
      data: await notificationStats(deps.queues, deps.db),
    }),
  );
};

export default statsRoutes;
