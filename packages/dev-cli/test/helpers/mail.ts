import { waitUntil } from '@conveyor/test-harness/ports';
import type { CaughtMessage } from '../../src/mail-catcher/message-store.js';

/** What the mail catcher holds, newest first (`GET /messages`). */
export async function caughtMessages(mailUrl: string): Promise<CaughtMessage[]> {
  const response = await fetch(`${mailUrl}/messages`);
  if (response.status !== 200)
    throw new Error(`GET ${mailUrl}/messages answered ${response.status}`);
  return (await response.json()) as CaughtMessage[];
}

/** Polls the mail catcher until a message matches, and resolves with it; bounded by `timeoutMs`. */
export async function waitForMail(
  mailUrl: string,
  matches: (message: CaughtMessage) => boolean,
  { timeoutMs = 15_000, what = 'the email' } = {},
): Promise<CaughtMessage> {
  let found: CaughtMessage | undefined;
  await waitUntil(
    async () => {
      found = (await caughtMessages(mailUrl)).find(matches);
      return found !== undefined;
    },
    { timeoutMs, intervalMs: 100, what: `${what} at ${mailUrl}/messages` },
  );
  return found!;
}
