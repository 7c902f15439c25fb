import { createTransport } from 'nodemailer';
import type { BenchContext } from './harness/context.js';
import type { MailSink } from './mail-sink.js';
import { secondsSince } from './polling.js';

/**
 * The raw-SMTP baseline of the benchmarks whose workers send email: the same number of emails
 * straight through a pooled nodemailer transport to the same sink, with nothing in between
 * (no queue, no database, no rendering). What a worker reaches of it is the share its own work
 * costs; the limit itself is the SMTP client's and the sink's on this machine.
 */

/** Recipient domains of the baseline, apart from the worker's in the sink's counts. */
const domains = { measured: 'raw-smtp.bench.test', warmUp: 'warm-raw-smtp.bench.test' } as const;

/** A message the size and shape of a notification's email. */
const sampleEmail = (index: number) => ({
  subject: `Bench notification ${index}`,
  text: `Bench notification ${index}\n\nA benchmark message of about the size of a notification.\n\nOpen: http://127.0.0.1:3000/notifications\n`,
  html: `<p><strong>Bench notification ${index}</strong></p><p>A benchmark message of about the size of a notification.</p><p><a href="http://127.0.0.1:3000/notifications">Open</a></p>`,
});

export interface RawSmtpOptions {
  /** Emails measured. */
  emails: number;
  /**
   * Emails sent first, unmeasured: JIT and the pool's connections warm up, as in a process
   * that has been running.
   */
  warmUp: number;
  /** Pooled connections: the worker's SMTP_POOL_SIZE. */
  poolSize: number;
}

/**
 * Sends `emails` at once through the pool (after the warm-up) and returns emails/s, from the
 * first hand-over to the last 250. The sender's and the sink's CPU go to the details
 * (`rawSmtpCpu`).
 */
export async function measureRawSmtp(
  ctx: BenchContext,
  sink: MailSink,
  options: RawSmtpOptions,
): Promise<number> {
  // The options of the workers' mailer (packages/mail/src/mailer.ts), on the same pool size.
  const transport = createTransport({
    pool: true,
    url: sink.smtpUrl,
    maxConnections: options.poolSize,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 10_000,
    maxRequeues: 0,
  });
  const send = (count: number, domain: string) =>
    Promise.all(
      Array.from({ length: count }, (_, index) =>
        transport.sendMail({
          from: 'Conveyor <no-reply@conveyor.test>',
          to: `raw-${index}@${domain}`,
          ...sampleEmail(index),
        }),
      ),
    );
  try {
    await send(options.warmUp, domains.warmUp);
    const senderCpu = ctx.cpu('self');
    const sinkCpu = ctx.cpu(sink.pid);
    const startedAt = performance.now();
    await send(options.emails, domains.measured);
    const rate = options.emails / secondsSince(startedAt);
    ctx.detail('rawSmtpCpu', { sender: senderCpu.stop(), sink: sinkCpu.stop() });
    // Every send resolved on its 250, so the sink has counted them all by now.
    const accepted = await sink.accepted(domains.measured);
    if (accepted.messages !== options.emails)
      throw new Error(`the sink counted ${accepted.messages} raw emails, not ${options.emails}`);
    return rate;
  } finally {
    transport.close();
  }
}
