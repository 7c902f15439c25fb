import type { Database } from '@conveyor/db/client';
import { adminAuditLog, type AdminAuditEntry } from '@conveyor/db/schema';

/** Every kind of admin action the trail records; the audit list filters by these. */
export const adminActions = [
  'retry',
  'cancel',
  'trigger',
  'pause',
  'resume',
  'bulk-retry',
  'bulk-cancel',
  'clean',
] as const;

/** An admin action as the audit trail records it. */
export interface AdminAction {
  adminId: string;
  action: (typeof adminActions)[number];
  target: Record<string, unknown>;
  parameters?: Record<string, unknown>;
}

/**
 * Runs an admin action and records it with its outcome: `succeeded` (or `started` for an action
 * that goes on as a tracked batch: `options.outcome`), or `failed` with the error's text (the
 * error is thrown on). The record is written after the action, so it holds what happened, not
 * what was asked; a failure to write it fails the request, since an action the trail does not
 * show must not look done.
 */
export async function audited<T>(
  db: Database,
  action: AdminAction,
  run: () => Promise<T>,
  options: { outcome?: 'succeeded' | 'started' } = {},
): Promise<T> {
  let result: T;
  try {
    result = await run();
  } catch (error) {
    await writeEntry(db, action, 'failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
  await writeEntry(db, action, options.outcome ?? 'succeeded');
  return result;
}

async function writeEntry(
  db: Database,
  action: AdminAction,
  outcome: AdminAuditEntry['outcome'],
  error?: string,
): Promise<void> {
  await db.insert(adminAuditLog).values({
    adminId: action.adminId,
    action: action.action,
    target: action.target,
    parameters: action.parameters ?? {},
    outcome,
    ...(error === undefined ? {} : { error }),
  });
}
