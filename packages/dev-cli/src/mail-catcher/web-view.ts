import { once } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { CaughtMessage, MessageStore } from './message-store.js';

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(JSON.stringify(body));
}

function sendHtml(response: ServerResponse, status: number, html: string): void {
  response.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // A caught message's HTML is shown in a sandboxed frame; the page itself runs no script.
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'",
  });
  response.end(html);
}

function page(title: string, body: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}pre{white-space:pre-wrap}
iframe{width:100%;height:60vh;border:1px solid #ddd}a{color:#0550ae}</style></head>
<body>${body}</body></html>`;
}

function listPage(messages: readonly CaughtMessage[]): string {
  const rows = messages
    .map(
      (
        m,
      ) => `<tr><td>${escapeHtml(new Date(m.receivedAt).toLocaleString())}</td><td>${escapeHtml(m.from)}</td>
<td>${escapeHtml(m.to.join(', '))}</td><td><a href="/messages/${m.id}.html">${escapeHtml(m.subject || '(no subject)')}</a></td></tr>`,
    )
    .join('\n');
  return page(
    'Conveyor mail catcher',
    `<h1>Conveyor mail catcher</h1>
<p>${messages.length} message(s), newest first. JSON: <a href="/messages">/messages</a>. Reload to refresh.</p>
<table><thead><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th></tr></thead><tbody>
${rows || '<tr><td colspan="4">No mail yet.</td></tr>'}</tbody></table>`,
  );
}

function messagePage(m: CaughtMessage): string {
  const body = m.html
    ? `<iframe sandbox src="/messages/${m.id}/body.html" title="HTML body"></iframe>`
    : `<pre>${escapeHtml(m.text)}</pre>`;
  return page(
    m.subject || '(no subject)',
    `<p><a href="/">All messages</a></p><h1>${escapeHtml(m.subject || '(no subject)')}</h1>
<p>From: ${escapeHtml(m.from)}<br>To: ${escapeHtml(m.to.join(', '))}<br>Date: ${escapeHtml(m.date)}</p>${body}`,
  );
}

/**
 * The mail catcher's web side: `GET /` (a page listing the messages), `GET /messages` (JSON,
 * newest first), `GET /messages/:id` (JSON), `GET /messages/:id.html` (one message as a page)
 * and `DELETE /messages` (forget them all).
 */
export async function startWebView(options: {
  host: string;
  port: number;
  store: MessageStore;
}): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://mail-catcher');
    const method = request.method ?? 'GET';
    if (method === 'GET' && pathname === '/')
      return sendHtml(response, 200, listPage(options.store.list()));
    if (pathname === '/messages') {
      if (method === 'GET') return sendJson(response, 200, options.store.list());
      if (method === 'DELETE') {
        options.store.clear();
        response.writeHead(204).end();
        return;
      }
    }
    const match = /^\/messages\/(\d+)(\.html|\/body\.html)?$/.exec(pathname);
    const message = match && method === 'GET' ? options.store.get(Number(match[1])) : undefined;
    if (match && message) {
      if (match[2] === '.html') return sendHtml(response, 200, messagePage(message));
      if (match[2] === '/body.html') return sendHtml(response, 200, message.html ?? '');
      return sendJson(response, 200, message);
    }
    return sendJson(response, 404, { success: false, error: 'Not found' });
  });
  server.keepAliveTimeout = 1_000;
  await once(server.listen(options.port, options.host), 'listening');
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
