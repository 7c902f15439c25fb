import WebSocket from 'ws';

/** The service's first message, or the HTTP answer when the handshake is refused. */
export async function handshake(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<
  | { opened: true; hello: Record<string, unknown> }
  | { opened: false; status: number; body: unknown }
> {
  const socket = new WebSocket(url, options);
  socket.on('error', () => undefined);
  return new Promise((resolve) => {
    socket.once('message', (data: Buffer) => {
      resolve({ opened: true, hello: JSON.parse(data.toString()) as Record<string, unknown> });
      socket.close();
    });
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.once('end', () => {
        resolve({ opened: false, status: response.statusCode ?? 0, body: JSON.parse(body) });
        socket.terminate();
      });
    });
  });
}

/** Opens a socket at `url` and resolves with it and a reader of its next JSON message. */
export async function openSocket(url: string, headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers });
  const queue: unknown[] = [];
  const waiting: ((message: unknown) => void)[] = [];
  socket.on('message', (data: Buffer) => {
    const message: unknown = JSON.parse(data.toString());
    const next = waiting.shift();
    if (next) next(message);
    else queue.push(message);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const nextMessage = () =>
    queue.length > 0
      ? Promise.resolve(queue.shift())
      : new Promise<unknown>((resolve) => waiting.push(resolve));
  return { socket, nextMessage };
}
