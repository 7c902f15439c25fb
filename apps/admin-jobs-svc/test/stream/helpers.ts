import type { Role } from '@conveyor/service-kit/claims';
import { bearer, createTestDeps, testToken, type TestDeps } from '@conveyor/service-kit/testing';
import { createTicketStore } from '@conveyor/realtime/tickets';
import { deleteKeysWithPrefix, testPrefix } from '@conveyor/test-harness/redis';
import { buildApp } from '../../src/app.js';
import { loadConfig, type Config } from '../../src/config.js';
import { STREAM_PATH } from '../../src/stream/plugin.js';

export const allowedOrigin = 'https://admin.conveyor.test';

export interface StreamService {
  deps: TestDeps<Config>;
  prefix: string;
  /** `ws://127.0.0.1:<port>/api/admin/jobs/stream` */
  streamUrl: string;
  /** A single-use ticket for the role, from the platform's ticket store (as webhooks-svc issues). */
  ticket: (sub: string, role: Role) => Promise<string>;
  close: () => Promise<void>;
}

/** The service on a database and BullMQ prefix of its own, listening on a free port. */
export async function startStreamService(env: Record<string, string> = {}): Promise<StreamService> {
  const prefix = testPrefix();
  const deps = await createTestDeps(loadConfig, {
    BULL_PREFIX: prefix,
    CORS_ORIGINS: allowedOrigin,
    ...env,
  });
  const app = await buildApp(deps);
  await app.ready();
  const httpBase = await app.listen({ port: 0, host: '127.0.0.1' });
  const tickets = createTicketStore({ redis: deps.redis, ttlSeconds: 30 });
  return {
    deps,
    prefix,
    streamUrl: `${httpBase.replace(/^http/, 'ws')}${STREAM_PATH}`,
    ticket: async (sub, role) =>
      (await tickets.issue({ sub, role, exp: Math.floor(Date.now() / 1000) + 3600 })).ticket,
    async close() {
      await app.close();
      await deleteKeysWithPrefix(deps.config.REDIS_URL, prefix);
      await deps.cleanup();
    },
  };
}

/** Handshake options carrying a role's bearer token. */
export const asRole = (sub: string, role: Role) => ({ headers: bearer(testToken(sub, role)) });
