import type { ChainableCommander } from 'ioredis';

/**
 * Runs a pipeline and throws its first error: ioredis resolves `exec` even when commands in it
 * failed, reporting each failure beside its reply.
 */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const replies = (await pipeline.exec()) ?? [];
  const failure = replies.find(([error]) => error !== null)?.[0];
  if (failure) throw failure;
  return replies.map(([, reply]) => reply);
}
