import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/**
 * Runs `close` once on SIGTERM, SIGINT, an uncaught exception or an unhandled rejection, then
 * exits. A close that outlives `deadlineMs` is abandoned and the process exits non-zero, so an
 * orchestrator never waits on a stuck shutdown.
 */
export function onShutdown(
  close: () => Promise<void>,
  options: { deadlineMs: number; logger: Logger },
): void {
  closeWithGrace({ delay: options.deadlineMs }, async ({ signal, err }) => {
    if (err) options.logger.error({ err }, 'closing after an unexpected error');
    else options.logger.info({ signal }, 'closing');
    await close();
  });
}
