import type { Database } from '@conveyor/db/client';
import { assets, type Asset } from '@conveyor/db/schema';
import { and, eq } from 'drizzle-orm';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The asset `assetId` if `ownerId` owns it. Another user's asset answers null exactly like a
 * missing one, and so does an id that is not a UUID (PostgreSQL would refuse to compare it).
 */
export async function findOwnedAsset(
  db: Database,
  ownerId: string,
  assetId: string,
): Promise<Asset | null> {
  if (!uuidPattern.test(assetId)) return null;
  const [row] = await db
    .select()
    .from(assets)
    .where(and(eq(assets.id, assetId), eq(assets.ownerId, ownerId)))
    .limit(1);
  return row ?? null;
}
