import { closeCodesText } from '@conveyor/realtime/close-codes';
import { STREAM_PATH } from './plugin.js';

/**
 * The OpenAPI path item of the admin stream's upgrade, given to the document by hand because
 * @fastify/websocket hides its routes from the generator. The protocol is told in full in
 * apps/admin-jobs-svc/README.md ("Live stream").
 */
export const streamOpenApiPaths = {
  [STREAM_PATH]: {
    get: {
      tags: ['Live stream'],
      summary: 'Open the admin live stream (WebSocket upgrade)',
      description: [
        'A WebSocket for admin dashboards, JSON messages with a `type`. ADMIN only: the',
        'handshake is authenticated (`Authorization: Bearer`, the session cookie, or `?ticket=`',
        'from `POST /api/realtime/ticket`) and must carry the ADMIN role, else it is refused',
        'with 401 or 403 in the error envelope and no socket opens.',
        '',
        'Client → server: `{"type":"subscribe","room":"…"}`, `{"type":"unsubscribe","room":"…"}`,',
        '`{"type":"ping"}`. Rooms: `queues`, `tasks`, `tasks:<queue>`, `batch`.',
        '',
        'Server → client: `ready`, `subscribed`/`unsubscribed` (`room`), `pong`, `error`',
        '(`message`, and `room` for an unknown one; the socket stays open), and the room events:',
        '`queue_stats` every 5 s (`data.queues`, as `GET /api/admin/jobs/queues`), `task_update`',
        'on every job state change (`data`: id, queue, name, ownerId, event, state, timestamp,',
        'progress, failedReason), `batch_progress` as a bulk action or digest run advances',
        '(`data` as `GET /api/admin/jobs/batches/:batchId`: total, completed, percent,',
        'estimatedSecondsRemaining).',
        '',
        `Close codes: ${closeCodesText}.`,
        'Everything sent here can also be polled over REST.',
      ].join('\n'),
      parameters: [
        {
          name: 'ticket',
          in: 'query',
          required: false,
          description: 'A single-use ticket from `POST /api/realtime/ticket`, of an ADMIN.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '101': { description: 'Switching protocols: the socket is open and sends `ready`.' },
        '401': { description: 'No valid token or ticket (error envelope).' },
        '403': { description: 'Not an ADMIN, or an Origin that is not allowed (error envelope).' },
      },
    },
  },
};
