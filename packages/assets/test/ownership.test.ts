import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOwnedAsset } from '../src/ownership.js';
import { insertAsset, startContext, type TestContext } from './helpers.js';

let t: TestContext;

beforeAll(async () => {
  t = await startContext();
});
afterAll(async () => {
  await t.close();
});

describe('findOwnedAsset', () => {
  it('finds the owner’s own asset', async () => {
    const asset = await insertAsset(t, { ownerId: 'alice' });
    expect(await findOwnedAsset(t.handle.db, 'alice', asset.id)).toStrictEqual(asset);
  });

  it('answers null for another user’s asset, exactly as for a missing one', async () => {
    const asset = await insertAsset(t, { ownerId: 'bob' });
    expect(await findOwnedAsset(t.handle.db, 'alice', asset.id)).toBeNull();
    expect(
      await findOwnedAsset(t.handle.db, 'alice', '00000000-0000-4000-8000-000000000000'),
    ).toBeNull();
  });

  it('answers null for an id that is not a UUID instead of failing the query', async () => {
    expect(await findOwnedAsset(t.handle.db, 'alice', 'not-a-uuid')).toBeNull();
  });
});
