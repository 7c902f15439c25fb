import WebSocket from 'ws';

/** A message the server sent, as the client parsed it. */
export type Message = { type: string } & Record<string, unknown>;

/**
 * A real `ws` client that records every message and the close, so tests can wait for what
 * they expect and then look at everything that arrived.
 */
export class Client {
  readonly messages: Message[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.messages.push(JSON.parse(data.toString()) as Message);
      for (const wake of this.waiters) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.once('close', (code: number, reason: Buffer) =>
        resolve({ code, reason: reason.toString() }),
      ),
    );
    socket.on('error', () => undefined);
  }

  /** Opens a socket and waits for the server's `ready`. */
  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<Client> {
    const client = new Client(new WebSocket(url, options));
    await new Promise<void>((resolve, reject) => {
      client.socket.once('open', () => resolve());
      client.socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`handshake refused with ${response.statusCode}`)),
      );
      client.socket.once('error', reject);
    });
    await client.waitFor((message) => message.type === 'ready');
    return client;
  }

  send(message: unknown): void {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (from the start) that matches, once it has arrived. */
  async waitFor(match: (message: Message) => boolean, timeoutMs = 10_000): Promise<Message> {
    const found = () => this.messages.find(match);
    const already = found();
    if (already) return already;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        const message = found();
        if (!message) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(message);
      };
      this.waiters.add(check);
    });
  }

  /** Messages of the given type, in arrival order. */
  ofType(type: string): Message[] {
    return this.messages.filter((message) => message.type === type);
  }

  close(): void {
    this.socket.close();
  }
}

/** The HTTP status and body a refused handshake answered with. */
export async function refusal(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<{ status: number; body: unknown }> {
  const socket = new WebSocket(url, options);
  socket.on('error', () => undefined);
  return new Promise((resolve, reject) => {
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.once('end', () => {
        resolve({ status: response.statusCode ?? 0, body: JSON.parse(body) });
        socket.terminate();
      });
    });
    socket.once('open', () => {
      socket.terminate();
      reject(new Error('the handshake was accepted'));
    });
  });
}
