import {
  createNotifications,
  CreateNotificationsSchema,
  type CreateDeps,
} from '@conveyor/notifications/create';
import { toApiNotification } from '@conveyor/notifications/model';
import { HttpError, notFound } from '@conveyor/service-kit/errors';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { errorResponses } from '../../schemas/envelope.js';
import {
  CountResponseSchema,
  CreateResponseSchema,
  DeleteResponseSchema,
  ListQuerySchema,
  ListResponseSchema,
  MarkReadResponseSchema,
  MarkUnreadResponseSchema,
  NotificationIdParamsSchema,
} from './schemas.js';

export interface NotificationRoutesOptions {
  /** What the ADMIN creation route writes to and enqueues on. */
  create: CreateDeps;
}

const tags = ['notifications'];

/** The inbox of spec 001 under /api/notifications, and the ADMIN-only creation route. */
const notificationRoutes: FastifyPluginAsyncZod<NotificationRoutesOptions> = async (
  app,
  options,
) => {
  const inbox = app.notificationsRepository;
  const missing = () => notFound('Notification');

  app.get(
    '/',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'List my notifications',
        description: 'Unread first, then by priority (URGENT to LOW), then newest first.',
        querystring: ListQuerySchema,
        response: {
          200: ListResponseSchema.describe('A page of my notifications'),
          ...errorResponses(400),
        },
      },
    },
    async (request) => {
      const { page, pageSize, ...filter } = request.query;
      const { rows, total } = await inbox.list(request.user.sub, filter, { page, pageSize });
      return {
        success: true as const,
        data: rows.map(toApiNotification),
        pagination: { page, pageSize, total, totalPages: Math.ceil(total / pageSize) },
      };
    },
  );

  app.get(
    '/unread-count',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Count my unread notifications',
        response: { 200: CountResponseSchema.describe('My unread count'), ...errorResponses() },
      },
    },
    async (request) => ({
      success: true as const,
      data: { count: await inbox.countUnread(request.user.sub) },
    }),
  );

  app.post(
    '/read-all',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Mark all my notifications read',
        description: '`count` is how many were unread; already read ones are not counted.',
        response: { 200: CountResponseSchema.describe('How many changed'), ...errorResponses() },
      },
    },
    async (request) => ({
      success: true as const,
      data: { count: await inbox.markAllRead(request.user.sub) },
    }),
  );

  app.post(
    '/:id/read',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Mark one notification read',
        description: 'Idempotent: marking it again keeps the first `readAt`.',
        params: NotificationIdParamsSchema,
        response: {
          200: MarkReadResponseSchema.describe('The notification, read'),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const row = await inbox.markRead(request.user.sub, request.params.id);
      if (!row) throw missing();
      return {
        success: true as const,
        data: { id: row.id, read: true as const, readAt: row.readAt.toISOString() },
      };
    },
  );

  app.post(
    '/:id/unread',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Mark one notification unread',
        description: 'Not in spec 001; the inverse of marking it read, which clears `readAt`.',
        params: NotificationIdParamsSchema,
        response: {
          200: MarkUnreadResponseSchema.describe('The notification, unread'),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const row = await inbox.markUnread(request.user.sub, request.params.id);
      if (!row) throw missing();
      return { success: true as const, data: { id: row.id, read: false as const, readAt: null } };
    },
  );

  app.delete(
    '/:id',
    {
      onRequest: app.authenticate,
      schema: {
        tags,
        summary: 'Delete one notification',
        params: NotificationIdParamsSchema,
        response: { 200: DeleteResponseSchema.describe('Deleted'), ...errorResponses(404) },
      },
    },
    async (request) => {
      if (!(await inbox.remove(request.user.sub, request.params.id))) throw missing();
      return { success: true as const };
    },
  );

  app.post(
    '/',
    {
      onRequest: [app.authenticate, app.requireAdmin],
      schema: {
        tags,
        summary: 'Create notifications (ADMIN)',
        description:
          'Exactly one of `userId`, `userIds` (at most 10 000) or `role`. Each notification ' +
          'gets a delivery job (`notification-delivery`, `deliver-<id>`). An unknown ' +
          'recipient answers 404 `User not found` with `details.missingUserIds`, and nothing ' +
          'is created.',
        body: CreateNotificationsSchema,
        response: {
          201: CreateResponseSchema.describe('Created; delivery jobs enqueued'),
          ...errorResponses(400, 403, 404),
        },
      },
    },
    async (request, reply) => {
      const result = await createNotifications(options.create, request.body, {
        requestId: request.id,
      });
      if (!result.ok) {
        throw new HttpError(404, notFound('User').message, {
          missingUserIds: result.missingUserIds,
        });
      }
      if (result.enqueueError) {
        // The rows are committed as `pending`, so the delivery sweeper enqueues them later:
        // the caller's request succeeded, and retrying it would create duplicates.
        request.log.warn(
          { err: result.enqueueError, count: result.count },
          'delivery jobs not enqueued; the outbox sweeper will enqueue them',
        );
      }
      if (result.publishError) {
        // Sockets miss this one; the unread count and the list show it at the next poll.
        request.log.warn({ err: result.publishError }, 'notification:new not published');
      }
      const data = result.ids ? { count: result.count, ids: result.ids } : { count: result.count };
      return reply.code(201).send({ success: true as const, data });
    },
  );
};

export default notificationRoutes;
