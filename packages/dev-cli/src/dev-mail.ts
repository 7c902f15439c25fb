import type { DevConfig } from './config.js';
import { startMailCatcher } from './mail-catcher/mail-catcher.js';
import { isListening } from './ports.js';

export interface DevMail {
  /** The catcher's page, or `undefined` when mail goes to an SMTP server that was already there. */
  webUrl: string | undefined;
  close: () => Promise<void>;
}

const loopbackHosts = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * Mail for `pnpm dev`: when something already listens on SMTP_URL (docker compose's catcher,
 * a developer's own), the apps use it; otherwise the built-in catcher starts there.
 */
export async function startDevMail(
  config: Pick<DevConfig, 'SMTP_URL' | 'MAIL_CATCHER_HTTP_PORT' | 'MAIL_CATCHER_MAX_MESSAGES'>,
  say: (line: string) => void,
): Promise<DevMail> {
  const smtp = new URL(config.SMTP_URL);
  const host = smtp.hostname.replace(/^\[|\]$/g, '');
  const port = Number(smtp.port || 25);
  if (await isListening(host, port)) {
    say(`mail goes to the SMTP server already listening at ${config.SMTP_URL}`);
    return { webUrl: undefined, close: () => Promise.resolve() };
  }
  if (!loopbackHosts.has(smtp.hostname)) {
    say(
      `warning: nothing answers at ${config.SMTP_URL}, and the mail catcher only runs on this machine`,
    );
    return { webUrl: undefined, close: () => Promise.resolve() };
  }
  try {
    const catcher = await startMailCatcher({
      host,
      smtpPort: port,
      httpPort: config.MAIL_CATCHER_HTTP_PORT,
      maxMessages: config.MAIL_CATCHER_MAX_MESSAGES,
      onError: (error) => say(`mail catcher: ${error.message}`),
    });
    say(`mail catcher listening on ${config.SMTP_URL}, messages at ${catcher.webUrl}`);
    return catcher;
  } catch (error) {
    const code = (error as { code?: string }).code;
    const hint =
      code === 'EADDRINUSE'
        ? ` (port ${config.MAIL_CATCHER_HTTP_PORT} is taken: set MAIL_CATCHER_HTTP_PORT)`
        : '';
    throw new Error(`the mail catcher could not start: ${(error as Error).message}${hint}`, {
      cause: error,
    });
  }
}
