import { once } from 'node:events';
import { simpleParser, type AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { MessageStore } from './message-store.js';

export interface SmtpReceiverOptions {
  host: string;
  port: number;
  store: MessageStore;
  /** Bytes a message may have; a larger one is refused with 552. @defaultValue 10 MiB */
  maxMessageBytes?: number;
  /** Called when a message could not be parsed; the message is refused, the catcher goes on. */
  onError?: (error: Error) => void;
}

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  return objects.flatMap((object) =>
    object.value.map((entry) => entry.address ?? '').filter(Boolean),
  );
}

/**
 * A development SMTP server that accepts every message (any sender, any recipient, any
 * credentials, plain text, no TLS) and keeps it, parsed, in the store. Never for production:
 * it is an open relay into memory by design.
 */
export async function startSmtpReceiver(
  options: SmtpReceiverOptions,
): Promise<{ close: () => Promise<void> }> {
  const maxBytes = options.maxMessageBytes ?? 10 * 1024 * 1024;
  const server = new SMTPServer({
    name: 'conveyor-mail-catcher',
    banner: 'Conveyor development mail catcher',
    size: maxBytes,
    // No certificate to offer, so no STARTTLS; senders that log in may do so in clear text.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    disableReverseLookup: true,
    // The dev system stops in seconds; a client that idles must not hold it up.
    closeTimeout: 1_000,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'developer' }),
    onData: (stream, session, callback) => {
      simpleParser(stream)
        .then((mail) => {
          if (stream.sizeExceeded) {
            callback(
              Object.assign(new Error(`Message exceeds ${maxBytes} bytes`), { responseCode: 552 }),
            );
            return;
          }
          const envelopeTo = session.envelope.rcptTo.map((rcpt) => rcpt.address);
          const headerTo = addresses(mail.to);
          const mailFrom = session.envelope.mailFrom;
          const receivedAt = new Date().toISOString();
          options.store.add({
            from: mail.from?.text ?? (mailFrom ? mailFrom.address : ''),
            to: headerTo.length > 0 ? headerTo : envelopeTo,
            subject: mail.subject ?? '',
            messageId: mail.messageId ?? null,
            date: mail.date?.toISOString() ?? receivedAt,
            text: mail.text ?? '',
            html: typeof mail.html === 'string' ? mail.html : null,
            envelope: { from: mailFrom ? mailFrom.address : null, to: envelopeTo },
            receivedAt,
          });
          callback(null, 'Caught');
        })
        .catch((error: unknown) => {
          const failure = error instanceof Error ? error : new Error(String(error));
          options.onError?.(failure);
          callback(failure);
        });
    },
  });
  server.on('error', (error) => options.onError?.(error));
  // `once` rejects on 'error', so a port already taken fails the start.
  await once(server.listen(options.port, options.host), 'listening');
  return { close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
