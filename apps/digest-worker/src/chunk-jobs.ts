import { QueueName } from '@conveyor/queue-contracts';
import type { Producer } from '@conveyor/queue-contracts/producer';

export interface ChunkRef {
  runId: string;
  chunk: number;
}

/** The one job id of a chunk: planning and the tick's re-dispatch never queue it twice. */
export const chunkJobId = ({ runId, chunk }: ChunkRef) => `digest-${runId}-${chunk}`;

const FINISHED = new Set(['completed', 'failed']);

/** Chunk jobs added per Redis round trip. */
const BATCH = 500;

/**
 * Hands chunks to the queue. With `replaceFinished`, a chunk whose job already finished (it
 * ran out of attempts while the relay was down, or completed before a claim it skipped was
 * released) gets a fresh job: adding under an id Redis still keeps would be a no-op. Waiting,
 * delayed and active jobs are left alone, so a chunk is never queued twice.
 */
export async function enqueueChunks(
  producer: Producer,
  chunks: readonly ChunkRef[],
  { replaceFinished = false } = {},
): Promise<number> {
  const queue = producer.queue(QueueName.notificationDigest);
  for (let start = 0; start < chunks.length; start += BATCH) {
    const batch = chunks.slice(start, start + BATCH);
    if (replaceFinished) {
      await Promise.all(
        batch.map(async (ref) => {
          const jobId = chunkJobId(ref);
          if (FINISHED.has(await queue.getJobState(jobId))) await queue.remove(jobId);
        }),
      );
    }
    await producer.enqueueMany(
      'digest.chunk',
      batch.map((ref) => ({ payload: ref, options: { jobId: chunkJobId(ref) } })),
    );
  }
  return chunks.length;
}

/** The chunks 0 … count-1 of a run. */
export const chunksOf = (runId: string, count: number): ChunkRef[] =>
  Array.from({ length: count }, (_, chunk) => ({ runId, chunk }));
