import { closeCodesText } from '@conveyor/realtime/close-codes';

/**
 * The OpenAPI path item of the `/api/realtime` upgrade, given to the document by hand because
 * @fastify/websocket hides its routes from the generator. OpenAPI cannot describe the frames
 * of a socket, so the protocol is summed up here, its close codes taken from the code, and told
 * in full in `apps/webhooks-svc/docs/realtime.md`.
 */
const realtimeOperation = {
  tags: ['Real time'],
  summary: 'Open the real-time socket (WebSocket upgrade)',
  description: [
    'A WebSocket that pushes the caller’s own events as JSON objects with a `type`.',
    'Authentication happens before the upgrade: `Authorization: Bearer`, the session cookie, or',
    '`?ticket=` from `POST /api/realtime/ticket` (single use, short-lived). A browser `Origin`',
    'must be allowed. Refusals answer the upgrade with 401 or 403 in the error envelope.',
    '',
    'Server → client: `ready` (with the token’s `expiresAt`), `job:progress`, `job:completed`,',
    '`job:failed` for every own job, `job:<jobId>:progress|completed|failed` after subscribing,',
    '`notification:new` (with `unreadCount`), `subscribed`, `unsubscribed`, `pong`, and',
    '`error` (`message`) for a frame the server cannot use (the socket stays open).',
    '',
    'Client → server: `{"type":"subscribe:job","jobId":"…"}` (own jobs only; another user’s',
    'id answers `error` `Job not found`), `{"type":"unsubscribe:job","jobId":"…"}`,',
    '`{"type":"ping"}`. Frames are at most 64 KiB.',
    '',
    `Close codes: ${closeCodesText}.`,
    'Nothing is replayed after a reconnect: `GET /api/jobs/:jobId` holds the same truth.',
  ].join('\n'),
};

export const realtimeOpenApiPaths = {
  '/api/realtime': {
    get: {
      ...realtimeOperation,
      parameters: [
        {
          name: 'ticket',
          in: 'query',
          required: false,
          description:
            'A single-use ticket from `POST /api/realtime/ticket`, for clients that cannot send the header or cookie.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '101': { description: 'Switching protocols: the socket is open and sends `ready`.' },
        '401': { description: 'No valid token or ticket (error envelope).' },
        '403': { description: 'An Origin that is not allowed (error envelope).' },
      },
    },
  },
};
