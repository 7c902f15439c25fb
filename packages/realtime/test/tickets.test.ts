import { createRedis, whenReady } from '@conveyor/runtime/redis';
import {
  defaultTestRedisUrl,
  deleteKeysWithPrefix,
  testPrefix,
} from '@conveyor/test-harness/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTicketStore } from '../src/tickets.js';

const keyPrefix = `${testPrefix()}:ticket:`;
const redis = createRedis(defaultTestRedisUrl, 'request');
const tickets = createTicketStore({ redis, ttlSeconds: 30, keyPrefix });
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

beforeAll(async () => {
  expect(await whenReady(redis)).toBe(true);
});
afterAll(async () => {
  await deleteKeysWithPrefix(defaultTestRedisUrl, keyPrefix);
  redis.disconnect();
});

describe('ticket store', () => {
  it('redeems a ticket once, for the claims it was issued for', async () => {
    const claims = { sub: 'u1', role: 'ADMIN' as const, exp: inAnHour() };
    const { ticket, expiresAt } = await tickets.issue(claims);
    expect(ticket).toMatch(/^[\w-]{43}$/);
    expect(Date.parse(expiresAt) - Date.now()).toBeLessThanOrEqual(30_000);
    expect(await tickets.redeem(ticket)).toMatchObject(claims);
    expect(await tickets.redeem(ticket)).toBeUndefined();
  });

  it('stores a hash, never the ticket itself', async () => {
    const { ticket } = await tickets.issue({ sub: 'u2', role: 'VIEWER', exp: inAnHour() });
    const keys = await redis.keys(`${keyPrefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.some((key) => key.includes(ticket))).toBe(false);
  });

  it('refuses a malformed ticket without asking Redis, and an unknown one', async () => {
    expect(await tickets.redeem('short')).toBeUndefined();
    expect(await tickets.redeem('a'.repeat(43))).toBeUndefined();
  });

  it('never outlives the token it stands for', async () => {
    const exp = Math.floor(Date.now() / 1000) + 2;
    const { expiresAt } = await tickets.issue({ sub: 'u3', role: 'VIEWER', exp });
    expect(Date.parse(expiresAt)).toBeLessThanOrEqual(exp * 1000);
  });
});
