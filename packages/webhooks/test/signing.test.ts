import { randomBytes, randomInt } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, secretKey } from '../src/secrets.js';
import { signatureOf, signedHeaders } from '../src/signing.js';

const body = JSON.stringify({
  id: 'job-1',
  jobname: 'media.preview',
  userId: 'user-1',
  result: { url: 'https://cdn.example/p.mp4', note: 'héllo ✓' },
  eventType: 'completed',
});

/** Verifies like a receiver would: with the independent `standardwebhooks` package. */
function verifies(secret: string, payload: string, headers: Record<string, string>): boolean {
  try {
    new Webhook(secret).verify(payload, headers);
    return true;
  } catch {
    return false;
  }
}

/** One change to one part of a signed request, as an attacker or a broken proxy makes it. */
function tamper(
  headers: Record<string, string>,
  payload: string,
  seed: number,
): { headers: Record<string, string>; payload: string } {
  const copy = { ...headers };
  switch (seed % 4) {
    case 0: {
      // One character of the body replaced by another.
      const at = randomInt(payload.length);
      const replacement = payload[at] === 'x' ? 'y' : 'x';
      return { headers: copy, payload: payload.slice(0, at) + replacement + payload.slice(at + 1) };
    }
    case 1:
      copy['webhook-id'] = `msg_${randomBytes(12).toString('base64url')}`;
      return { headers: copy, payload };
    case 2:
      // A timestamp moved by one second up to four minutes, within the tolerance window.
      copy['webhook-timestamp'] = String(
        Number(copy['webhook-timestamp']) + (randomInt(2) === 0 ? -1 : 1) * randomInt(1, 240),
      );
      return { headers: copy, payload };
    default:
      // Bytes appended to the body.
      return { headers: copy, payload: payload + randomBytes(randomInt(1, 8)).toString('hex') };
  }
}

describe('secrets', () => {
  it('are whsec_ and 32 random bytes, different every time', () => {
    const secrets = new Set(Array.from({ length: 100 }, generateSecret));
    expect(secrets.size).toBe(100);
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      expect(secretKey(secret)).toHaveLength(32);
    }
  });
});

describe('Standard Webhooks signatures', () => {
  it('verify with the standardwebhooks package', () => {
    const secret = generateSecret();
    const headers = signedHeaders([secret], 'msg_abc', body);
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(verifies(secret, body, { ...headers })).toBe(true);
    expect(new Webhook(secret).verify(body, { ...headers })).toEqual(JSON.parse(body));
  });

  it('carry one signature per secret, so either secret verifies during a rotation', () => {
    const [previous, current] = [generateSecret(), generateSecret()];
    const headers = signedHeaders([current, previous], 'msg_rotation', body);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(verifies(current, body, { ...headers })).toBe(true);
    expect(verifies(previous, body, { ...headers })).toBe(true);
    expect(verifies(generateSecret(), body, { ...headers })).toBe(false);
  });

  it('sign id, timestamp and body: the HMAC of "id.timestamp.body"', () => {
    const secret = generateSecret();
    const now = new Date('2026-11-23T10:00:00Z');
    const headers = signedHeaders([secret], 'msg_x', body, now);
    expect(headers['webhook-timestamp']).toBe(String(now.getTime() / 1000));
    expect(headers['webhook-signature']).toBe(
      signatureOf(secret, 'msg_x', now.getTime() / 1000, body),
    );
  });

  it('never verify for 1 000 tampered bodies, ids or timestamps', () => {
    const secret = generateSecret();
    let verified = 0;
    for (let seed = 0; seed < 1_000; seed += 1) {
      const headers = signedHeaders([secret], `msg_${seed}`, body);
      expect(verifies(secret, body, { ...headers })).toBe(true);
      const forged = tamper(headers, body, seed);
      if (verifies(secret, forged.payload, forged.headers)) verified += 1;
    }
    expect(verified).toBe(0);
  });

  it('do not verify with another endpoint’s secret', () => {
    const headers = signedHeaders([generateSecret()], 'msg_y', body);
    for (let i = 0; i < 100; i += 1) {
      expect(verifies(generateSecret(), body, { ...headers })).toBe(false);
    }
  });
});
