import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { idempotentJobId, IdempotencyKeySchema } from './idempotency.js';

describe('idempotentJobId', () => {
  it('is the same UUID for the same user and key, every time', () => {
    expect(idempotentJobId('alice', 'k1')).toBe(idempotentJobId('alice', 'k1'));
  });

  it('is a version 8, RFC 9562 variant UUID', () => {
    const id = idempotentJobId('alice', 'k1');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(z.uuid().safeParse(id).success).toBe(true);
  });

  it('differs between users, between keys, and however the two parts are cut', () => {
    const ids = [
      idempotentJobId('alice', 'k1'),
      idempotentJobId('bob', 'k1'),
      idempotentJobId('alice', 'k2'),
      idempotentJobId('a', 'b:c'),
      idempotentJobId('a:b', 'c'),
    ];
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('IdempotencyKeySchema', () => {
  it.each(['a', 'order-42', '!~'.repeat(127) + 'a', 'AbC_123.:/'])('accepts %j', (key) => {
    expect(IdempotencyKeySchema.safeParse(key).success).toBe(true);
  });

  it.each(['', ' ', 'a b', 'tab\there', 'k'.repeat(256), 'clé', 'line\n'])('refuses %j', (key) => {
    expect(IdempotencyKeySchema.safeParse(key).success).toBe(false);
  });
});
