/** The fields nodemailer puts on the errors it hands back (see its `NodemailerError`). */
interface SmtpErrorFields {
  code?: string | undefined;
  responseCode?: number | undefined;
  response?: string | undefined;
  command?: string | undefined;
  rejected?: string[] | undefined;
  message?: string | undefined;
}

export interface SmtpFailure {
  /** True when sending the same message again would be refused again. */
  permanent: boolean;
  /** Short, loggable and storable: `smtp 550 (RCPT TO): 5.1.1 no such user`. */
  reason: string;
}

const MAX_REASON = 500;

function fieldsOf(error: unknown): SmtpErrorFields {
  return typeof error === 'object' && error !== null ? error : {};
}

/**
 * Sorts an SMTP failure into permanent (the row is marked `failed`, no retry) and transient
 * (the job is retried with backoff). RFC 5321 makes every 5yz reply a permanent negative
 * completion and every 4yz reply a transient one; 503 (bad sequence of commands) says the
 * session was in the wrong state, not that the message was refused, so it is retried, as
 * nodemailer's own `isPermanentResponseCode` does. An envelope nodemailer refuses before any
 * reply (an address it cannot use) is permanent too. Everything without a reply (refused
 * connection, timeout, TLS, DNS, authentication) is transient.
 */
export function classifySmtpError(error: unknown): SmtpFailure {
  const fields = fieldsOf(error);
  const code = fields.responseCode;
  const hasReply = typeof code === 'number';
  const permanent = hasReply
    ? code >= 500 && code < 600 && code !== 503
    : fields.code === 'EENVELOPE';
  const detail = (fields.response ?? fields.message ?? String(error)).replaceAll(/\s+/g, ' ');
  const reason = hasReply
    ? `smtp ${code}${fields.command ? ` (${fields.command})` : ''}: ${detail}`
    : `${fields.code ?? 'error'}: ${detail}`;
  return { permanent, reason: reason.slice(0, MAX_REASON) };
}
