import { describe, expect, it } from 'vitest';
import {
  notificationMessageId,
  renderNotificationEmail,
  type EmailContent,
} from './notification-email.js';

const links = { appUrl: 'https://app.example.test', idDomain: 'mail.example.test' };
const content: EmailContent = {
  id: '5b0a6f0e-3c5d-4f0a-9d2e-2f7f3b1c9a11',
  type: 'MESSAGE',
  title: 'Hello',
  message: 'First line\nsecond line\n\nNew paragraph',
  actionUrl: null,
  priority: 'MEDIUM',
  critical: false,
};

describe('renderNotificationEmail', () => {
  it('prefixes the subject of urgent and high notifications only', () => {
    const subject = (priority: EmailContent['priority']) =>
      renderNotificationEmail({ ...content, priority }, links).subject;
    expect(subject('URGENT')).toBe('[URGENT] Hello');
    expect(subject('HIGH')).toBe('[HIGH] Hello');
    expect(subject('MEDIUM')).toBe('Hello');
    expect(subject('LOW')).toBe('Hello');
  });

  it('keeps a title with line breaks on one subject line', () => {
    const email = renderNotificationEmail({ ...content, title: 'Two\r\nBcc: lines' }, links);
    expect(email.subject).toBe('Two Bcc: lines');
  });

  it('escapes every user value in the HTML and keeps the paragraphs', () => {
    const email = renderNotificationEmail(
      {
        ...content,
        title: '<script>alert("t")</script>',
        message: `Tom & Jerry's <b>bold</b>\nnext\n\npara`,
        actionUrl: 'https://example.test/a?x=1&y="2"',
      },
      links,
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;');
    expect(email.html).toContain('<p>Tom &amp; Jerry&#39;s &lt;b&gt;bold&lt;/b&gt;<br>next</p>');
    expect(email.html).toContain('<p>para</p>');
    expect(email.html).toContain('href="https://example.test/a?x=1&amp;y=%222%22"');
  });

  it('links the inbox and the preferences, and the action only when there is one', () => {
    const plain = renderNotificationEmail(content, links);
    expect(plain.text).not.toContain('Open:');
    expect(plain.text).toContain('https://app.example.test/notifications');
    expect(plain.text).toContain('https://app.example.test/settings/notifications');
    const withAction = renderNotificationEmail({ ...content, actionUrl: '/licenses/7' }, links);
    expect(withAction.text).toContain('Open: https://app.example.test/licenses/7');
  });

  it('tells the reader why a critical notice ignored their preferences', () => {
    expect(renderNotificationEmail({ ...content, critical: true }, links).text).toContain(
      'security notice',
    );
    expect(renderNotificationEmail(content, links).text).not.toContain('security notice');
  });

  it('gives every attempt of one notification the same Message-ID', () => {
    const first = renderNotificationEmail(content, links);
    const second = renderNotificationEmail({ ...content, title: 'Edited' }, links);
    expect(first.messageId).toBe(`<notification-${content.id}@mail.example.test>`);
    expect(second.messageId).toBe(first.messageId);
    expect(notificationMessageId('x', 'd.test')).toBe('<notification-x@d.test>');
  });
});
