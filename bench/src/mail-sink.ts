import { freePort } from '@conveyor/test-harness/ports';
import type { BenchContext } from './harness/context.js';
import { fixtureEntry } from './platform.js';
import { getJson, until } from './polling.js';

/**
 * The SMTP sink fixture (`fixtures/smtp-sink.ts`) as a benchmark uses it: the "local SMTP
 * server" that a worker and its raw-SMTP baseline both send to. Its counts are per recipient
 * domain, so each phase of a benchmark sends to a domain of its own and is counted apart.
 */

/** What the sink accepted for one recipient domain. */
export interface Accepted {
  /** Messages accepted (250 to DATA). */
  messages: number;
  /** Distinct recipients among them: one each means nobody got two. */
  recipients: number;
}

export interface MailSink {
  /** For CPU meters. */
  pid: number;
  smtpPort: number;
  /** `smtp://127.0.0.1:<port>`, a worker's SMTP_URL. */
  smtpUrl: string;
  /** What the sink has accepted for `domain` so far. */
  accepted: (domain: string) => Promise<Accepted>;
  /**
   * Waits until the sink has accepted `count` messages for `domain` (at most `timeoutMs`,
   * `phaseTimeoutMs` by default); returns the counts then.
   */
  whenAccepted: (
    domain: string,
    count: number,
    what: string,
    timeoutMs?: number,
  ) => Promise<Accepted>;
}

/** Starts the sink on free loopback ports; it is stopped when the benchmark ends. */
export async function startMailSink(ctx: BenchContext): Promise<MailSink> {
  const [httpPort, smtpPort] = await Promise.all([freePort(), freePort()]);
  const countsUrl = `http://127.0.0.1:${httpPort}/counts`;
  const sink = await ctx.startService({
    entry: fixtureEntry('smtp-sink.ts'),
    env: { PORT: String(httpPort), SMTP_PORT: String(smtpPort) },
    readyUrl: countsUrl,
  });
  const accepted = async (domain: string): Promise<Accepted> =>
    (await getJson<Record<string, Accepted | undefined>>(countsUrl))[domain] ?? {
      messages: 0,
      recipients: 0,
    };
  return {
    pid: sink.pid,
    smtpPort,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    accepted,
    whenAccepted: async (domain, count, what, timeoutMs) => {
      let counts: Accepted = { messages: 0, recipients: 0 };
      await until(
        what,
        async () => {
          counts = await accepted(domain);
          return counts.messages >= count;
        },
        timeoutMs,
      );
      return counts;
    },
  };
}
