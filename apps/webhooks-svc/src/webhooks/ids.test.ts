import { describe, expect, it } from 'vitest';
import { parseId } from './ids.js';

describe('parseId', () => {
  it.each([
    ['1', 1],
    ['42', 42],
    ['9007199254740991', 9_007_199_254_740_991],
  ])('reads %s as %d', (raw, id) => {
    expect(parseId(raw)).toBe(id);
  });

  it.each(['', '0', '-1', '+1', '01', '1.0', '1e3', '0x10', ' 1', '1 ', 'abc', '9007199254740992'])(
    'answers null for %j',
    (raw) => {
      expect(parseId(raw)).toBeNull();
    },
  );
});
