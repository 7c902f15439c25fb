import { Counter, Histogram, type Registry } from '@conveyor/runtime/metrics';

/** What happened to one planned digest in a chunk job. */
export type DigestOutcome = 'sent' | 'skipped' | 'failed' | 'retry' | 'taken';

export interface DigestMetrics {
  outcome: (outcome: DigestOutcome) => void;
  /** Digests settled as failed because their worker stopped mid-send (never resent). */
  interrupted: (count: number) => void;
  /** Times one SMTP send, from the pool's queue to the relay's final reply. */
  timeSend: () => () => void;
  /** Times one chunk job, end to end. */
  timeChunk: () => () => void;
  /** Seconds one chunk spent awaiting PostgreSQL (its concurrent sends summed). */
  chunkPostgres: (seconds: number) => void;
}

export function createDigestMetrics(registry: Registry): DigestMetrics {
  const outcomes = new Counter({
    name: 'digest_emails_total',
    help: 'Planned digests by what happened to them',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const sendSeconds = new Histogram({
    name: 'digest_email_send_seconds',
    help: 'Seconds from handing a digest to the SMTP pool to the relay accepting or refusing it',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const chunkSeconds = new Histogram({
    name: 'digest_chunk_seconds',
    help: 'Seconds one digest chunk job took, SMTP included',
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const chunkPostgresSeconds = new Histogram({
    name: 'digest_chunk_postgres_seconds',
    help: 'Seconds one digest chunk job spent awaiting PostgreSQL, its concurrent sends summed',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  return {
    outcome: (outcome) => outcomes.inc({ outcome }),
    interrupted: (count) => {
      if (count > 0) outcomes.inc({ outcome: 'interrupted' }, count);
    },
    chunkPostgres: (seconds) => chunkPostgresSeconds.observe(seconds),
    timeSend: () => sendSeconds.startTimer(),
    timeChunk: () => chunkSeconds.startTimer(),
  };
}
