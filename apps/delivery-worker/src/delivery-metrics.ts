import { Counter, Histogram, type Registry } from '@conveyor/runtime/metrics';

/** What happened to one delivery job's email. */
export type EmailOutcome = 'sent' | 'skipped' | 'digest' | 'already-handled' | 'retry' | 'failed';

export interface DeliveryMetrics {
  outcome: (outcome: EmailOutcome) => void;
  /** Times one SMTP send, from the pool's queue to the relay's final reply. */
  timeSend: () => () => void;
  /** Rows the outbox sweep handed to the queue. */
  swept: (count: number) => void;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const outcomes = new Counter({
    name: 'notification_emails_total',
    help: 'Notification delivery jobs by what happened to the email',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sendSeconds = new Histogram({
    name: 'notification_email_send_seconds',
    help: 'Seconds from handing an email to the SMTP pool to the relay accepting or refusing it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const swept = new Counter({
    name: 'notification_outbox_swept_total',
    help: 'Notifications the outbox sweep handed (back) to the delivery queue',
    registers: [registry],
  });
  return {
    outcome: (outcome) => outcomes.inc({ outcome }),
    timeSend: () => sendSeconds.startTimer(),
    swept: (count) => swept.inc(count),
  };
}
