import { describe, expect, it } from 'vitest';
import { storableText } from './response-body.js';

describe('storableText', () => {
  it('drops what PostgreSQL refuses to store: NUL and lone surrogates', () => {
    expect(storableText('a\0b')).toBe('ab');
    expect(storableText('x\ud800y\udc00z')).toBe('xyz');
  });

  it('keeps whole characters, surrogate pairs included', () => {
    expect(storableText('résumé ✓ 🎉')).toBe('résumé ✓ 🎉');
  });
});
