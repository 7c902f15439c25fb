import WebSocket from 'ws';
import { assertLoopback } from './harness/load.js';
import { percentile } from './harness/stats.js';

/** What a set of sockets received during one measured phase. */
export interface ReceiptSummary {
  received: number;
  /** Milliseconds from the event's time in Redis to its arrival at a client. */
  p50: number;
  p99: number;
  max: number;
}

export interface RealtimeClients {
  /** Starts counting `job:progress` receipts (and their latency) from now on. */
  startMeasuring: () => void;
  stopMeasuring: () => ReceiptSummary;
  /** Sockets closed by the server (or failed) since they connected. */
  closedEarly: () => number;
  close: () => Promise<void>;
}

/** Sockets opened at once; more would make the handshakes compete with each other. */
const CONNECT_BATCH = 100;

function openClient(url: string, token: string, onMessage: (data: Buffer) => void) {
  return new Promise<WebSocket>((resolve, reject) => {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`no 'ready' from ${url} within 10 s`));
    }, 10_000);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      reject(new Error(`${url} refused the upgrade with ${response.statusCode}`));
    });
    socket.on('message', (data: Buffer) => {
      // The first message of a socket is `ready`: the server has it registered for events.
      if (data.includes('"ready"')) {
        clearTimeout(timer);
        resolve(socket);
        return;
      }
      onMessage(data);
    });
  });
}

/**
 * One WebSocket per token against `url` (a loopback `ws://` URL), each ready before this
 * resolves. Latency is measured on `job:progress` messages: `Date.now()` at receipt minus the
 * message's `timestamp`, the time Redis wrote the event (same machine, same clock).
 */
export async function connectClients(
  url: string,
  tokens: readonly string[],
): Promise<RealtimeClients> {
  assertLoopback(url.replace(/^ws/, 'http'));
  let measuring = false;
  let latencies: number[] = [];
  let closed = 0;
  const onMessage = (data: Buffer) => {
    if (!measuring) return;
    const message = JSON.parse(data.toString()) as { type: string; timestamp?: number };
    if (message.type === 'job:progress' && message.timestamp !== undefined) {
      latencies.push(Date.now() - message.timestamp);
    }
  };
  const sockets: WebSocket[] = [];
  try {
    for (let start = 0; start < tokens.length; start += CONNECT_BATCH) {
      const batch = tokens.slice(start, start + CONNECT_BATCH);
      sockets.push(...(await Promise.all(batch.map((token) => openClient(url, token, onMessage)))));
    }
  } catch (error) {
    for (const socket of sockets) socket.terminate();
    throw error;
  }
  for (const socket of sockets) socket.once('close', () => (closed += 1));

  return {
    startMeasuring: () => {
      latencies = [];
      measuring = true;
    },
    stopMeasuring: () => {
      measuring = false;
      return {
        received: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies.reduce((top, value) => Math.max(top, value), Number.NEGATIVE_INFINITY),
      };
    },
    closedEarly: () => closed,
    close: async () => {
      await Promise.all(
        sockets.map(
          (socket) =>
            new Promise<void>((resolve) => {
              if (socket.readyState === WebSocket.CLOSED) return resolve();
              socket.once('close', () => resolve());
              socket.close(1000, 'benchmark done');
              setTimeout(() => {
                socket.terminate();
                resolve();
              }, 2_000).unref();
            }),
        ),
      );
    },
  };
}
