import { describe, expect, it } from 'vitest';
import { renderBanner, type BannerInfo } from '../src/banner.js';

const info: BannerInfo = {
  gatewayUrl: 'http://127.0.0.1:3000',
  apps: [
    { name: 'api-gateway', kind: 'gateway', url: 'http://127.0.0.1:3000' },
    { name: 'notifications-svc', kind: 'service', url: 'http://127.0.0.1:3001' },
  ],
  mail: { smtpUrl: 'smtp://127.0.0.1:1025', webUrl: 'http://127.0.0.1:1080' },
  tokens: [
    { role: 'ADMIN', sub: 'demo-admin', token: 'admin.token.sig' },
    { role: 'CREATOR', sub: 'demo-creator', token: 'creator.token.sig' },
  ],
  tokenTtlSeconds: 43_200,
};

describe('the banner', () => {
  it('shows the gateway, the docs, the mail catcher, both tokens and a curl example', () => {
    const banner = renderBanner(info);
    expect(banner).toContain('Gateway    http://127.0.0.1:3000');
    expect(banner).toContain('API docs   http://127.0.0.1:3000/api/docs');
    expect(banner).toContain('Mail       http://127.0.0.1:1080  (catching smtp://127.0.0.1:1025');
    expect(banner).toContain('ADMIN (demo-admin)\n      admin.token.sig');
    expect(banner).toContain('CREATOR (demo-creator)\n      creator.token.sig');
    expect(banner).toContain(
      'curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/api/notifications',
    );
  });

  it('points at the notifications service and the existing SMTP server when there is no gateway or catcher', () => {
    const banner = renderBanner({
      ...info,
      gatewayUrl: undefined,
      mail: { smtpUrl: 'smtp://127.0.0.1:1025', webUrl: undefined },
    });
    expect(banner).toContain('no gateway app');
    expect(banner).toContain('SMTP server already listening at smtp://127.0.0.1:1025');
    expect(banner).toContain('http://127.0.0.1:3001/api/notifications');
  });
});
