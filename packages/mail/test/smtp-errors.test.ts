import { describe, expect, it } from 'vitest';
import { classifySmtpError } from '../src/smtp-errors.js';

const smtpError = (fields: { message?: string } & Record<string, unknown>) =>
  Object.assign(new Error(fields.message ?? 'failed'), fields);

describe('classifySmtpError', () => {
  it('treats a 5xx reply as permanent, with the code, command and reply in the reason', () => {
    expect(
      classifySmtpError(
        smtpError({
          code: 'EENVELOPE',
          responseCode: 550,
          command: 'RCPT TO',
          response: '550 5.1.1 <x@example.test>: no such\r\n user',
          rejected: ['x@example.test'],
        }),
      ),
    ).toEqual({
      permanent: true,
      reason: 'smtp 550 (RCPT TO): 550 5.1.1 <x@example.test>: no such user',
    });
    expect(classifySmtpError(smtpError({ code: 'EMESSAGE', responseCode: 554 })).permanent).toBe(
      true,
    );
  });

  it('retries a 4xx reply and a 503 bad sequence', () => {
    expect(classifySmtpError(smtpError({ code: 'EMESSAGE', responseCode: 451 })).permanent).toBe(
      false,
    );
    expect(classifySmtpError(smtpError({ code: 'EPROTOCOL', responseCode: 503 })).permanent).toBe(
      false,
    );
  });

  it('retries failures without a reply: refused connections, timeouts, sockets, TLS', () => {
    for (const code of ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ETLS', 'EDNS', 'EAUTH']) {
      const failure = classifySmtpError(smtpError({ code, message: 'connect ECONNREFUSED' }));
      expect(failure).toEqual({ permanent: false, reason: `${code}: connect ECONNREFUSED` });
    }
  });

  it('gives up on an envelope the client itself cannot use', () => {
    expect(
      classifySmtpError(smtpError({ code: 'EENVELOPE', message: 'No recipients defined' })),
    ).toEqual({ permanent: true, reason: 'EENVELOPE: No recipients defined' });
  });

  it('keeps the reason short enough to store', () => {
    const failure = classifySmtpError(
      smtpError({ responseCode: 421, response: 'x'.repeat(5_000) }),
    );
    expect(failure.reason.length).toBe(500);
  });

  it('copes with something thrown that is not an Error', () => {
    expect(classifySmtpError('boom')).toEqual({ permanent: false, reason: 'error: boom' });
  });
});
