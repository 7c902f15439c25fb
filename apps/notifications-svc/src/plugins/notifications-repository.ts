import type { Database } from '@conveyor/db/client';
import { notifications, type Notification } from '@conveyor/db/schema';
import type { NotificationPriority, NotificationType } from '@conveyor/notifications/model';
import { and, asc, count, eq, getTableColumns, sql, type Placeholder, type SQL } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    notificationsRepository: NotificationsRepository;
  }
}

export interface InboxFilter {
  read?: boolean;
  type?: NotificationType;
  priority?: NotificationPriority;
}

/** A value of a query, or the placeholder a prepared statement binds it to. */
type Bound<T> = T | Placeholder;

/** An inbox filter whose values may be placeholders. */
type BoundFilter = { [K in keyof InboxFilter]?: Bound<NonNullable<InboxFilter[K]>> };

export interface PageRequest {
  /** From 1. */
  page: number;
  pageSize: number;
}

/**
 * The value of the generated `priority_rank` column for each priority (its SQL is in
 * packages/db/src/schema/notifications.ts). Filtering on the rank rather than on `priority`
 * keeps the filter inside notifications_inbox_idx, so no heap row is read to reject one.
 */
const priorityRank = {
  LOW: 0,
  MEDIUM: 1,
  HIGH: 2,
  URGENT: 3,
} as const satisfies Record<NotificationPriority, number>;

/**
 * The display order of spec 001 (unread first, then URGENT > HIGH > MEDIUM > LOW, then newest,
 * then id as tie-break), column for column the order of notifications_inbox_idx, including its
 * `DESC NULLS LAST`: a plain `DESC` means NULLS FIRST, and PostgreSQL would then sort instead of
 * reading the index in order, even though the columns are NOT NULL.
 */
const displayOrder = [
  asc(notifications.read),
  sql`${notifications.priorityRank} desc nulls last`,
  sql`${notifications.createdAt} desc nulls last`,
  sql`${notifications.id} desc nulls last`,
];

/**
 * `read = false` written as a literal, not a bound parameter, so the planner can prove it
 * implies the predicate of the partial notifications_unread_idx even in a generic plan of a
 * prepared statement.
 */
const isUnread = sql`${notifications.read} = false`;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether `id` can be a notification id at all. Anything else is answered like a missing id:
 * PostgreSQL would refuse it with an error, and a 400 or 500 would tell a caller more than a 404.
 */
const isNotificationId = (id: string): boolean => uuidPattern.test(id);

function ownedBy(userId: Bound<string>, filter: BoundFilter = {}): SQL | undefined {
  const { priority } = filter;
  return and(
    eq(notifications.userId, userId),
    filter.read === undefined ? undefined : eq(notifications.read, filter.read),
    filter.type === undefined ? undefined : eq(notifications.type, filter.type),
    priority === undefined
      ? undefined
      : eq(
          notifications.priorityRank,
          typeof priority === 'string' ? priorityRank[priority] : priority,
        ),
  );
}

/** One page of a list: how many rows, after how many. */
export interface PageWindow {
  limit: Bound<number>;
  offset: Bound<number>;
}

/**
 * One page of a user's inbox in display order: the hot query of the list, exported unexecuted so
 * the index test explains exactly what the route runs. A deferred join: the page's ids come from
 * an index-only scan of notifications_inbox_idx, which skips the offset without touching the
 * heap, and only those rows are then read by primary key. A plain `LIMIT … OFFSET` reads every
 * skipped row from the heap, so on a deep page PostgreSQL prefers to sort the user's whole
 * inbox instead (75 ms against 10 ms for page 500 of a 10 000-row inbox on a loaded machine).
 */
export function inboxPageQuery(
  db: Database,
  userId: Bound<string>,
  filter: BoundFilter,
  { limit, offset }: PageWindow,
) {
  const pageIds = db
    .select({ id: notifications.id })
    .from(notifications)
    .where(ownedBy(userId, filter))
    .orderBy(...displayOrder)
    .limit(limit)
    .offset(offset)
    .as('page_ids');
  return db
    .select(getTableColumns(notifications))
    .from(notifications)
    .innerJoin(pageIds, eq(notifications.id, pageIds.id))
    .orderBy(...displayOrder);
}

/** The total behind the list's pagination, exported unexecuted for the same reason. */
export function inboxCountQuery(db: Database, userId: Bound<string>, filter: BoundFilter) {
  return db.select({ total: count() }).from(notifications).where(ownedBy(userId, filter));
}

/** The unread badge's count, exported unexecuted for the same reason. */
export function unreadCountQuery(db: Database, userId: Bound<string>) {
  return db
    .select({ total: count() })
    .from(notifications)
    .where(and(eq(notifications.userId, userId), isUnread));
}

/** The values a list statement binds for `filter`; a priority is bound as its rank. */
const filterValues = (filter: InboxFilter) => ({
  read: filter.read,
  type: filter.type,
  rank: filter.priority === undefined ? undefined : priorityRank[filter.priority],
});

/**
 * The inbox's hot statements, built once: drizzle builds a query by walking its whole tree,
 * which was a tenth of the service's CPU per request. A list statement exists per filter shape
 * (which of `read`, `type`, `priority` are set), eight at most, each built on first use.
 */
function prepareInboxStatements(db: Database) {
  const userId = sql.placeholder('userId');
  const byShape = new Map<
    string,
    {
      page: ReturnType<ReturnType<typeof inboxPageQuery>['prepare']>;
      count: ReturnType<ReturnType<typeof inboxCountQuery>['prepare']>;
    }
  >();
  return {
    unreadCount: unreadCountQuery(db, userId).prepare('inbox_unread_count'),
    forFilter(filter: InboxFilter) {
      const shape = `${filter.read === undefined ? '' : 'r'}${filter.type === undefined ? '' : 't'}${filter.priority === undefined ? '' : 'p'}`;
      let prepared = byShape.get(shape);
      if (!prepared) {
        const bound: BoundFilter = {
          ...(filter.read === undefined ? {} : { read: sql.placeholder('read') }),
          ...(filter.type === undefined ? {} : { type: sql.placeholder('type') }),
          ...(filter.priority === undefined ? {} : { priority: sql.placeholder('rank') }),
        };
        const window = { limit: sql.placeholder('limit'), offset: sql.placeholder('offset') };
        prepared = {
          page: inboxPageQuery(db, userId, bound, window).prepare(`inbox_page_${shape}`),
          count: inboxCountQuery(db, userId, bound).prepare(`inbox_count_${shape}`),
        };
        byShape.set(shape, prepared);
      }
      return prepared;
    },
  };
}

/**
 * A user's inbox. Every method takes the owner's id and touches that user's rows only; a
 * method that names one notification answers `null` for a missing, malformed or foreign id
 * alike, so the route cannot tell them apart either.
 */
export function createNotificationsRepository(db: Database) {
  const statements = prepareInboxStatements(db);
  return {
    /** One page in display order, with the total of the filtered inbox. */
    async list(
      userId: string,
      filter: InboxFilter,
      { page, pageSize }: PageRequest,
    ): Promise<{ rows: Notification[]; total: number }> {
      const offset = (page - 1) * pageSize;
      const values = { userId, limit: pageSize, offset, ...filterValues(filter) };
      const { page: pageStatement, count: countStatement } = statements.forFilter(filter);
      const rows = await pageStatement.execute(values);
      // A short page that is not past the end already tells the total: most inboxes fit on one
      // page, and they then cost one query instead of two.
      const totalKnown = rows.length < pageSize && (rows.length > 0 || offset === 0);
      const total = totalKnown
        ? offset + rows.length
        : ((await countStatement.execute(values))[0]?.total ?? 0);
      return { rows, total };
    },

    /** Unread notifications, counted from the partial unread index alone. */
    async countUnread(userId: string): Promise<number> {
      const [row] = await statements.unreadCount.execute({ userId });
      return row?.total ?? 0;
    },

    /** Marks one notification read; a second call keeps the first `readAt`. */
    async markRead(userId: string, id: string) {
      if (!isNotificationId(id)) return null;
      const [row] = await db
        .update(notifications)
        .set({ read: true, readAt: sql`coalesce(${notifications.readAt}, now())` })
        .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
        .returning({ id: notifications.id, readAt: notifications.readAt });
      return row ? { id: row.id, readAt: row.readAt! } : null;
    },

    /** Marks one notification unread again and forgets when it was read. */
    async markUnread(userId: string, id: string) {
      if (!isNotificationId(id)) return null;
      const [row] = await db
        .update(notifications)
        .set({ read: false, readAt: null })
        .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
        .returning({ id: notifications.id });
      return row ?? null;
    },

    /** Marks every unread notification read; returns how many changed. */
    async markAllRead(userId: string): Promise<number> {
      const result = await db
        .update(notifications)
        .set({ read: true, readAt: sql`now()` })
        .where(and(eq(notifications.userId, userId), isUnread));
      return result.count;
    },

    /** Deletes one notification; returns whether it existed (and was the user's). */
    async remove(userId: string, id: string): Promise<boolean> {
      if (!isNotificationId(id)) return false;
      const rows = await db
        .delete(notifications)
        .where(and(eq(notifications.id, id), eq(notifications.userId, userId)))
        .returning({ id: notifications.id });
      return rows.length > 0;
    },
  };
}

export type NotificationsRepository = ReturnType<typeof createNotificationsRepository>;

export default fp(
  async function notificationsRepository(app: FastifyInstance, options: { db: Database }) {
    app.decorate('notificationsRepository', createNotificationsRepository(options.db));
  },
  { name: 'notifications-repository', fastify: '5.x' },
);
