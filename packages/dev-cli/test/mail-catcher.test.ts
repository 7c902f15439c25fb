import { freePort } from '@conveyor/test-harness/ports';
import { createTransport } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMailCatcher, type MailCatcher } from '../src/mail-catcher/mail-catcher.js';
import { MessageStore, type CaughtMessage } from '../src/mail-catcher/message-store.js';

describe('the mail catcher', () => {
  let catcher: MailCatcher;
  let smtpPort: number;

  beforeAll(async () => {
    smtpPort = await freePort();
    catcher = await startMailCatcher({
      host: '127.0.0.1',
      smtpPort,
      httpPort: await freePort(),
      maxMessages: 3,
    });
  });
  afterAll(() => catcher.close());

  it('receives a real mail over SMTP and serves it as JSON at /messages', async () => {
    const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false });
    await transport.sendMail({
      from: 'Conveyor <noreply@conveyor.test>',
      to: 'ada@conveyor.test',
      subject: 'Your digest <weekly>',
      text: 'Three new notifications.',
      html: '<p>Three <b>new</b> notifications.</p>',
    });
    transport.close();

    const response = await fetch(`${catcher.webUrl}/messages`);
    expect(response.status).toBe(200);
    const messages = (await response.json()) as CaughtMessage[];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      from: '"Conveyor" <noreply@conveyor.test>',
      to: ['ada@conveyor.test'],
      subject: 'Your digest <weekly>',
      messageId: expect.stringMatching(/^<[^<>@\s]+@[^<>@\s]+>$/),
      text: 'Three new notifications.',
      html: '<p>Three <b>new</b> notifications.</p>',
      envelope: { from: 'noreply@conveyor.test', to: ['ada@conveyor.test'] },
    });
    expect(Date.parse(messages[0]!.date)).not.toBeNaN();

    const single = await fetch(`${catcher.webUrl}/messages/${messages[0]!.id}`);
    expect(await single.json()).toEqual(messages[0]);
  });

  it('lists the messages on an HTML page with their subjects escaped', async () => {
    const response = await fetch(catcher.webUrl);
    expect(response.headers.get('content-type')).toContain('text/html');
    const html = await response.text();
    expect(html).toContain('Your digest &#60;weekly&#62;');
    expect(html).not.toContain('<weekly>');
  });

  it('forgets every message on DELETE /messages', async () => {
    expect((await fetch(`${catcher.webUrl}/messages`, { method: 'DELETE' })).status).toBe(204);
    expect(await (await fetch(`${catcher.webUrl}/messages`)).json()).toEqual([]);
  });
});

describe('the message store', () => {
  const message = (subject: string) => ({
    from: 'a@conveyor.test',
    to: ['b@conveyor.test'],
    subject,
    messageId: null,
    date: new Date(0).toISOString(),
    text: '',
    html: null,
    envelope: { from: 'a@conveyor.test', to: ['b@conveyor.test'] },
    receivedAt: new Date(0).toISOString(),
  });

  it('keeps the newest messages up to its capacity and drops the oldest', () => {
    const store = new MessageStore(2);
    for (const subject of ['one', 'two', 'three']) store.add(message(subject));
    expect(store.list().map((m) => m.subject)).toEqual(['three', 'two']);
    expect(store.get(1)).toBeUndefined();
    expect(store.get(3)?.subject).toBe('three');
  });
});
