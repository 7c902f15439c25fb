// Container health check: exits 0 when GET <path> (default /healthz) on this container's own
// port answers 2xx within 2 s, 1 otherwise. Plain node, because the slim image has no curl.
// The port is PORT, else the app's default from its package.json ("conveyor": { "port" }).
// CommonJS (.cjs) so it runs the same whatever "type" the app's package.json declares.
'use strict';

const path = process.argv[2] ?? '/healthz';
let port = process.env.PORT;
if (!port) {
  try {
    port = require('/app/package.json').conveyor?.port;
  } catch {
    port = undefined;
  }
}
if (!port) {
  console.error('healthcheck: no PORT and no "conveyor.port" in /app/package.json');
  process.exit(1);
}

fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2_000) }).then(
  (response) => process.exit(response.ok ? 0 : 1),
  (error) => {
    console.error(`healthcheck: ${path} on port ${port}: ${error.message}`);
    process.exit(1);
  },
);
