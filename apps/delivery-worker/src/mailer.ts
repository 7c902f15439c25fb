import { createTransport } from 'nodemailer';
import type { RenderedEmail } from './notification-email.js';

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
  send: (to: string, email: RenderedEmail) => Promise<SentEmail>;
  /** Closes the pooled connections; call after the last send has settled. */
  close: () => void;
}

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
