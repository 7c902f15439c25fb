import { once } from 'node:events';
import { freePort, waitUntil } from './ports.js';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it. */
export interface ReceivedMail {
  envelope: { from: string | null; to: string[] };
  mail: ParsedMail;
}

/** An SMTP reply the sink gives instead of accepting. */
export interface SmtpReply {
  code: number;
  message: string;
}

export interface SmtpSink {
  port: number;
  /** `smtp://127.0.0.1:<port>`, for SMTP_URL. */
  url: string;
  /** Every accepted message, in arrival order. */
  messages: ReceivedMail[];
  /** Addresses whose RCPT TO is answered with the given reply. */
  rejectRecipients: Map<string, SmtpReply>;
  /** Replies to the next messages' data, one per message; when empty, messages are accepted. */
  dataReplies: SmtpReply[];
  /** Milliseconds the sink waits after reading a message before it answers. */
  replyDelayMs: number;
  /** Messages whose data has started to arrive, accepted or not. */
  dataStarted: number;
  /** Most messages that were being received at the same time. */
  maxInFlight: number;
  isRunning: () => boolean;
  start: () => Promise<void>;
  stop: () => Promise<void>;
  /** The accepted messages sent to `address`. */
  to: (address: string) => ReceivedMail[];
  waitForMessages: (count: number, timeoutMs?: number) => Promise<ReceivedMail[]>;
}

const replyError = (reply: SmtpReply) =>
  Object.assign(new Error(reply.message), { responseCode: reply.code });

/**
 * A real SMTP server on a port of its own that records what it accepts, parsed with
 * mailparser. Its answers can be steered (recipients refused, data refused, a slow reply),
 * and it can start later or stop and start again on the same port, as a relay outage would.
 */
export async function createSmtpSink(options: { start?: boolean } = {}): Promise<SmtpSink> {
  const port = await freePort();
  let server: SMTPServer | undefined;
  let inFlight = 0;

  const sink: SmtpSink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages: [],
    rejectRecipients: new Map(),
    dataReplies: [],
    replyDelayMs: 0,
    dataStarted: 0,
    maxInFlight: 0,
    isRunning: () => server !== undefined,
    start: async () => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS', 'AUTH'],
        disableReverseLookup: true,
        logger: false,
        // Pooled clients keep their connections open; a stop must not wait 30 s for them.
        closeTimeout: 100,
        onRcptTo: (address, _session, callback) => {
          const reply = sink.rejectRecipients.get(address.address);
          callback(reply ? replyError(reply) : null);
        },
        onData: (stream, session, callback) => {
          sink.dataStarted += 1;
          inFlight += 1;
          sink.maxInFlight = Math.max(sink.maxInFlight, inFlight);
          const reply = sink.dataReplies.shift();
          simpleParser(stream)
            .then(async (mail) => {
              if (sink.replyDelayMs > 0) {
                await new Promise((resolve) => setTimeout(resolve, sink.replyDelayMs));
              }
              inFlight -= 1;
              if (reply) return callback(replyError(reply));
              sink.messages.push({
                envelope: {
                  from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
                  to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
                },
                mail,
              });
              callback(null, 'Queued');
            })
            .catch((error: unknown) => {
              inFlight -= 1;
              callback(error as Error);
            });
        },
      });
      server.on('error', () => undefined);
      await once(server.listen(port, '127.0.0.1'), 'listening');
    },
    stop: async () => {
      const running = server;
      server = undefined;
      if (running) await new Promise<void>((resolve) => running.close(() => resolve()));
    },
    to: (address) => sink.messages.filter((message) => message.envelope.to.includes(address)),
    waitForMessages: async (count, timeoutMs = 10_000) => {
      await waitUntil(() => sink.messages.length >= count, {
        timeoutMs,
        what: `${count} message(s) at the SMTP server, ${sink.messages.length} so far`,
      });
      return sink.messages;
    },
  };
  if (options.start ?? true) await sink.start();
  return sink;
}
