export interface BannerInfo {
  /** The gateway's base URL, when the workspace has a gateway. */
  gatewayUrl: string | undefined;
  /** Every app with its URL, in start order. */
  apps: ReadonlyArray<{ name: string; kind: string; url: string }>;
  mail: { smtpUrl: string; webUrl: string | undefined };
  tokens: ReadonlyArray<{ role: string; sub: string; token: string }>;
  tokenTtlSeconds: number;
}

/** The text `pnpm dev` prints once everything answers: where things are and how to call them. */
export function renderBanner(info: BannerInfo): string {
  const width = Math.max(...info.apps.map((app) => app.name.length), 8);
  const lines = ['', 'Conveyor is running.', ''];
  if (info.gatewayUrl) {
    lines.push(`  Gateway    ${info.gatewayUrl}`, `  API docs   ${info.gatewayUrl}/api/docs`);
  } else {
    lines.push('  Gateway    (no gateway app in apps/ yet; the services answer directly)');
  }
  lines.push(
    info.mail.webUrl
      ? `  Mail       ${info.mail.webUrl}  (catching ${info.mail.smtpUrl}; JSON at ${info.mail.webUrl}/messages)`
      : `  Mail       sent to the SMTP server already listening at ${info.mail.smtpUrl}`,
    '',
    '  Apps',
    ...info.apps.map((app) => `    ${app.name.padEnd(width)}  ${app.kind.padEnd(7)}  ${app.url}`),
    '',
    `  Tokens (valid ${Math.round(info.tokenTtlSeconds / 3600)} h; more with: pnpm run token --sub <id> --role <ROLE>)`,
  );
  for (const { role, sub, token } of info.tokens)
    lines.push(`    ${role} (${sub})`, `      ${token}`);
  const example = info.tokens[0];
  const base = info.gatewayUrl ?? info.apps.find((app) => app.name === 'notifications-svc')?.url;
  if (example && base) {
    lines.push(
      '',
      '  Try',
      `    TOKEN=${example.token}`,
      `    curl -H "Authorization: Bearer $TOKEN" ${base}/api/notifications`,
    );
  }
  lines.push('', 'Press Ctrl-C to stop everything.', '');
  return lines.join('\n');
}
