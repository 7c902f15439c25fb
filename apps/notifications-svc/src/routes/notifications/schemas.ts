import { NotificationPrioritySchema, NotificationTypeSchema } from '@conveyor/notifications/model';
import { z } from 'zod';
import { successOf } from '../../schemas/envelope.js';

/** Spec 001 "Pagination Rules". */
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;

/**
 * The list's query. Unknown parameters are ignored rather than refused, so a cache-busting
 * parameter added by a client or a proxy does not break the inbox.
 */
export const ListQuerySchema = z.object({
  page: z.coerce.number().int().min(1).default(1).describe('Page number, from 1'),
  pageSize: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .describe(`Notifications per page, at most ${MAX_PAGE_SIZE}`),
  read: z
    .enum(['true', 'false'])
    .transform((value) => value === 'true')
    .optional()
    .describe('Only read (`true`) or only unread (`false`) notifications'),
  type: NotificationTypeSchema.optional().describe('Only notifications of this type'),
  priority: NotificationPrioritySchema.optional().describe('Only notifications of this priority'),
});

/**
 * A path id is any string on purpose: a malformed id must answer 404 like a missing or foreign
 * one, never a 400 that tells them apart.
 */
export const NotificationIdParamsSchema = z.object({
  id: z.string().describe('The notification id (a UUID)'),
});

const isoTimestamp = z.iso.datetime().describe('ISO 8601');

/** Spec 001 `Notification`. */
export const NotificationSchema = z.object({
  id: z.uuid(),
  type: NotificationTypeSchema,
  title: z.string(),
  message: z.string(),
  actionUrl: z.string().nullable(),
  priority: NotificationPrioritySchema,
  read: z.boolean(),
  readAt: isoTimestamp.nullable(),
  metadata: z.record(z.string(), z.unknown()).nullable(),
  createdAt: isoTimestamp,
});

export const ListResponseSchema = z.object({
  success: z.literal(true),
  data: z.array(NotificationSchema).describe('Unread first, then URGENT to LOW, then newest'),
  pagination: z.object({
    page: z.number().int(),
    pageSize: z.number().int(),
    total: z.number().int().describe('Notifications matching the filters'),
    totalPages: z.number().int(),
  }),
});

export const CountResponseSchema = successOf(z.object({ count: z.number().int().min(0) }));

export const MarkReadResponseSchema = successOf(
  z.object({
    id: z.uuid(),
    read: z.literal(true),
    readAt: isoTimestamp.describe('When it was first read'),
  }),
);

export const MarkUnreadResponseSchema = successOf(
  z.object({ id: z.uuid(), read: z.literal(false), readAt: z.null() }),
);

export const DeleteResponseSchema = z.object({ success: z.literal(true) });

export const CreateResponseSchema = successOf(
  z.object({
    count: z.number().int().min(0).describe('Notifications created'),
    ids: z.array(z.uuid()).optional().describe('Their ids; omitted for a role broadcast'),
  }),
);
