import { createDb, type DbHandle } from '@conveyor/db/client';
import { createTestDatabase, type TestDatabase } from '@conveyor/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimForSending, markSent, recordDecision, releaseClaim } from '../src/delivery-store.js';
import {
  createNotification,
  createUser,
  emailState,
  type NotificationFixture,
} from '@conveyor/notifications/testing';

let database: TestDatabase;
let handle: DbHandle;

beforeAll(async () => {
  database = await createTestDatabase();
  handle = createDb(database.url, { max: 5 });
});
afterAll(async () => {
  await handle.close();
  await database.drop();
});

const db = () => handle.db;
const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

async function notification(fixture: Omit<NotificationFixture, 'userId'> = {}) {
  const user = await createUser(db());
  return createNotification(db(), { userId: user.id, ...fixture });
}

describe('the delivery store', () => {
  it('claims a pending row once, numbering the claim with the attempt count', async () => {
    const id = await notification();
    const claims = await Promise.all(
      Array.from({ length: 4 }, () => claimForSending(db(), id, 120)),
    );
    expect(claims.filter((claim) => claim !== null)).toEqual([1]);
    expect(await emailState(db(), id)).toMatchObject({ emailStatus: 'sending', emailAttempts: 1 });
  });

  it('retakes only a claim older than the lease', async () => {
    const fresh = await notification({
      emailStatus: 'sending',
      emailClaimedAt: minutesAgo(1),
      emailAttempts: 1,
    });
    const stale = await notification({
      emailStatus: 'sending',
      emailClaimedAt: minutesAgo(3),
      emailAttempts: 1,
    });
    expect(await claimForSending(db(), fresh, 120)).toBeNull();
    expect(await claimForSending(db(), stale, 120)).toBe(2);
  });

  it('claims nothing on a settled row, nor records a decision on it', async () => {
    for (const emailStatus of ['sent', 'skipped', 'digest', 'failed'] as const) {
      const id = await notification({ emailStatus });
      expect(await claimForSending(db(), id, 120)).toBeNull();
      expect(
        await recordDecision(db(), id, 120, { status: 'skipped', reason: 'email-disabled' }),
      ).toBe(false);
      expect((await emailState(db(), id))?.emailStatus).toBe(emailStatus);
    }
  });

  it('releases only its own claim: a claim retaken by another worker stays with that worker', async () => {
    const id = await notification({
      emailStatus: 'sending',
      emailClaimedAt: minutesAgo(10),
      emailAttempts: 1,
    });
    const retaken = await claimForSending(db(), id, 120);
    expect(retaken).toBe(2);

    await releaseClaim(db(), id, 1, { status: 'pending', reason: 'ETIMEDOUT: late' });
    expect(await emailState(db(), id)).toMatchObject({ emailStatus: 'sending', emailAttempts: 2 });

    await releaseClaim(db(), id, 2, { status: 'pending', reason: 'ECONNECTION: closed' });
    expect(await emailState(db(), id)).toMatchObject({
      emailStatus: 'pending',
      emailReason: 'ECONNECTION: closed',
      emailClaimedAt: null,
    });
  });

  it('marks sent whatever a competing attempt recorded, keeping the first sent time', async () => {
    const id = await notification({
      emailStatus: 'failed',
      emailReason: 'smtp 550: later attempt',
    });
    await markSent(db(), id);
    const first = await emailState(db(), id);
    expect(first).toMatchObject({ emailStatus: 'sent', emailReason: null });

    await markSent(db(), id);
    expect((await emailState(db(), id))?.emailSentAt).toEqual(first?.emailSentAt);
  });
});
