import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** The app's name, on every line as `app`. */
  app: string;
  level: string;
  /**
   * Human-readable lines instead of JSON. Decided by whether stdout is a terminal, not by
   * NODE_ENV, so a production process run by hand is readable and a dev process piped to a
   * file is parseable.
   * @defaultValue `process.stdout.isTTY`
   */
  pretty?: boolean;
}

/** The options behind {@link createLogger}, for fastify's own logger construction. */
export function loggerOptions(settings: LoggerSettings): LoggerOptions {
  const pretty = settings.pretty ?? process.stdout.isTTY;
  return {
    level: settings.level,
    base: { app: settings.app },
    // Credentials never reach the logs, whichever layer logs the request.
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l' } } }
      : {}),
  };
}

export function createLogger(settings: LoggerSettings): Logger {
  return pino(loggerOptions(settings));
}
