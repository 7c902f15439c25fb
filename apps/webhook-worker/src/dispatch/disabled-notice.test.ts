import { describe, expect, it } from 'vitest';
import { CreateNotificationsSchema } from '@conveyor/notifications/create';
import { describePeriod, disabledNotice } from './disabled-notice.js';

describe('disabled notice', () => {
  it('names the period in the unit it reads best in', () => {
    expect(describePeriod(120)).toBe('5 days');
    expect(describePeriod(36)).toBe('36 hours');
    expect(describePeriod(1)).toBe('1 hour');
    expect(describePeriod(0.5)).toBe('30 minutes');
    expect(describePeriod(0.0003)).toBe('1 minute');
  });

  it('is a valid notification even for the longest URL', () => {
    const url = `https://hooks.example.com/${'x'.repeat(5_000)}`;
    for (const reason of ['gone', 'failing'] as const) {
      const notice = disabledNotice({ id: 7, ownerId: 'user-1', url, reason }, 120);
      expect(CreateNotificationsSchema.safeParse(notice).success).toBe(true);
    }
  });
});
