import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpProxy {
  port: number;
  /**
   * Stops carrying bytes both ways while keeping every connection open: to its clients the
   * server looks stuck, not gone, the way a hung network path or a wedged server looks.
   */
  freeze: () => void;
  /** Carries bytes again, including the ones held while frozen. */
  thaw: () => void;
  close: () => Promise<void>;
}

/**
 * A TCP proxy on a free local port to `target`, for tests that need a connection (say a
 * worker's blocking Redis connection) to hang while others to the same server go on.
 */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const join = ([client, upstream]: [Socket, Socket]) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const part = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const server = createServer((client) => {
    const upstream = createConnection(target);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    if (frozen) part(pair);
    else join(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    // Both are idempotent: piping a pair twice would deliver every byte twice.
    freeze: () => {
      if (frozen) return;
      frozen = true;
      pairs.forEach(part);
    },
    thaw: () => {
      if (!frozen) return;
      frozen = false;
      pairs.forEach(join);
    },
    close: async () => {
      for (const [client, upstream] of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
