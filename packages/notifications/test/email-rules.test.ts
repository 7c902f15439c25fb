import { describe, expect, it } from 'vitest';
import { decideEmail } from '../src/email-rules.js';
import { allNotificationTypes, type DigestFrequency } from '../src/model.js';

const frequencies: DigestFrequency[] = ['IMMEDIATE', 'DAILY', 'WEEKLY', 'NEVER'];

describe('the spec 001 email rules', () => {
  for (const emailEnabled of [true, false]) {
    for (const digestFrequency of frequencies) {
      for (const typeEnabled of [true, false]) {
        for (const critical of [true, false]) {
          const expected = critical
            ? 'send'
            : !emailEnabled || !typeEnabled || digestFrequency === 'NEVER'
              ? 'skip'
              : digestFrequency === 'IMMEDIATE'
                ? 'send'
                : 'digest';
          it(`${expected}s when email is ${emailEnabled ? 'on' : 'off'}, frequency ${digestFrequency}, type ${typeEnabled ? 'enabled' : 'disabled'}${critical ? ', critical' : ''}`, () => {
            const decision = decideEmail(
              { type: 'PAYOUT', critical },
              {
                emailEnabled,
                digestFrequency,
                enabledTypes: typeEnabled
                  ? allNotificationTypes
                  : allNotificationTypes.filter((t) => t !== 'PAYOUT'),
              },
            );
            expect(decision.action).toBe(expected);
          });
        }
      }
    }
  }
});
