import { createTransport } from 'nodemailer';

/** A message ready to send: what a worker renders, what the mailer takes. */
export interface OutgoingEmail {
  subject: string;
  text: string;
  html: string;
  /** A Message-ID derived from what the email is about, the same on every attempt. */
  messageId: string;
  headers: Record<string, string>;
}

export interface MailerOptions {
  /** `smtp://` or `smtps://` URL of the relay, credentials included. */
  url: string;
  /** From header of every message. */
  from: string;
  /** Connections kept open. @defaultValue 5 */
  poolSize: number;
  /** Milliseconds for connecting, the greeting, and each wait on the socket. */
  timeoutMs: number;
}

export interface SentEmail {
  messageId: string;
  /** The relay's final reply, e.g. `250 OK: queued as …`. */
  response: string;
  accepted: string[];
}

export interface Mailer {
  /** Resolves once the relay accepted the message (its 250 to the data), rejects otherwise. */
  send: (to: string, email: OutgoingEmail) => Promise<SentEmail>;
  /** Closes the pooled connections; call after the last send has settled. */
  close: () => void;
}

/** The mailer's settings from a worker config with `mailConfigShape`. */
export const mailerOptionsOf = (config: {
  SMTP_URL: string;
  SMTP_FROM: string;
  SMTP_POOL_SIZE: number;
  SMTP_TIMEOUT_MS: number;
}): MailerOptions => ({
  url: config.SMTP_URL,
  from: config.SMTP_FROM,
  poolSize: config.SMTP_POOL_SIZE,
  timeoutMs: config.SMTP_TIMEOUT_MS,
});

/** A pooled SMTP transport: connections are reused across deliveries instead of one per email. */
export function createMailer(options: MailerOptions): Mailer {
  const transport = createTransport({
    pool: true,
    url: options.url,
    maxConnections: options.poolSize,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // A connection dropped mid-send fails the send instead of being retried inside the pool,
    // so every retry goes through the job: backoff, a counted attempt, the row back to pending.
    maxRequeues: 0,
  });
  return {
    async send(to, email) {
      const info = await transport.sendMail({
        from: options.from,
        to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
        headers: email.headers,
      });
      return {
        messageId: info.messageId,
        response: info.response,
        accepted: info.accepted,
      };
    },
    close: () => transport.close(),
  };
}
