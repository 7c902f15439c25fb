import type { Database } from '@conveyor/db/client';
import { adminAuditLog, type AdminAuditEntry } from '@conveyor/db/schema';
import { and, count, desc, eq, type SQL } from 'drizzle-orm';

export interface AuditFilter {
  adminId?: string | undefined;
  action?: string | undefined;
}

export interface AuditPage {
  rows: AdminAuditEntry[];
  total: number;
}

/**
 * A page of the audit trail, newest first, with the total the filter matches. The id breaks
 * ties between entries of the same instant, so pages never overlap; both filters are served by
 * the trail's indexes (time, and admin then time).
 */
export async function listAuditEntries(
  db: Database,
  filter: AuditFilter,
  page: { page: number; limit: number },
): Promise<AuditPage> {
  const conditions: SQL[] = [];
  if (filter.adminId !== undefined) conditions.push(eq(adminAuditLog.adminId, filter.adminId));
  if (filter.action !== undefined) conditions.push(eq(adminAuditLog.action, filter.action));
  const where = and(...conditions);
  const [rows, [totals]] = await Promise.all([
    db
      .select()
      .from(adminAuditLog)
      .where(where)
      .orderBy(desc(adminAuditLog.createdAt), desc(adminAuditLog.id))
      .limit(page.limit)
      .offset((page.page - 1) * page.limit),
    db.select({ total: count() }).from(adminAuditLog).where(where),
  ]);
  return { rows, total: totals?.total ?? 0 };
}
