import { MessageStore } from './message-store.js';
import { startSmtpReceiver } from './smtp-receiver.js';
import { startWebView } from './web-view.js';

export interface MailCatcherOptions {
  host: string;
  smtpPort: number;
  httpPort: number;
  /** Messages kept in memory; the oldest go first. */
  maxMessages: number;
  onError?: (error: Error) => void;
}

export interface MailCatcher {
  store: MessageStore;
  /** The page that lists the messages; `${webUrl}/messages` is the JSON. */
  webUrl: string;
  close: () => Promise<void>;
}

/** The development mail catcher of `pnpm dev`: an SMTP server into memory, read over HTTP. */
export async function startMailCatcher(options: MailCatcherOptions): Promise<MailCatcher> {
  const store = new MessageStore(options.maxMessages);
  const smtp = await startSmtpReceiver({
    host: options.host,
    port: options.smtpPort,
    store,
    ...(options.onError ? { onError: options.onError } : {}),
  });
  let web: Awaited<ReturnType<typeof startWebView>>;
  try {
    web = await startWebView({ host: options.host, port: options.httpPort, store });
  } catch (error) {
    await smtp.close();
    throw error;
  }
  return {
    store,
    webUrl: `http://${options.host}:${web.port}`,
    close: async () => {
      await Promise.all([smtp.close(), web.close()]);
    },
  };
}
