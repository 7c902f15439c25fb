import { describe, expect, it } from 'vitest';
import {
  digestMessageId,
  groupDigestItems,
  renderDigestEmail,
  type DigestContent,
  type DigestItem,
} from '../src/digest-email.js';

const options = {
  appUrl: 'https://app.example.test',
  idDomain: 'mail.example.test',
  itemsPerType: 3,
};
const deliveryId = '7c1e2d3a-0b4f-4e5a-8c6d-9e0f1a2b3c4d';

let sequence = 0;
function item(overrides: Partial<DigestItem> = {}): DigestItem {
  sequence += 1;
  return {
    id: `n${String(sequence).padStart(2, '0')}`,
    type: 'MESSAGE',
    title: `Title ${sequence}`,
    message: `Message ${sequence}`,
    actionUrl: null,
    priority: 'MEDIUM',
    createdAt: new Date('2024-03-07T12:00:00Z'),
    ...overrides,
  };
}

function content(items: DigestItem[], overrides: Partial<DigestContent> = {}): DigestContent {
  return {
    deliveryId,
    frequency: 'DAILY',
    windowStart: new Date('2024-03-07T09:00:00Z'),
    windowEnd: new Date('2024-03-08T09:00:00Z'),
    timezone: 'UTC',
    items,
    ...overrides,
  };
}

const summary = (items: DigestItem[]) =>
  groupDigestItems(items).map((group) => `${group.type}:${group.count}`);

describe('groupDigestItems', () => {
  it('orders groups by highest priority, then size, then type name', () => {
    const items = [
      item({ type: 'BLOG' }),
      item({ type: 'BLOG' }),
      item({ type: 'BLOG' }),
      item({ type: 'PAYOUT', priority: 'LOW' }),
      item({ type: 'PAYOUT', priority: 'HIGH' }),
      item({ type: 'SYSTEM', priority: 'URGENT' }),
      item({ type: 'MESSAGE' }),
      item({ type: 'MESSAGE' }),
      item({ type: 'LICENSE' }),
      item({ type: 'LICENSE' }),
    ];
    expect(summary(items)).toEqual(['SYSTEM:1', 'PAYOUT:2', 'BLOG:3', 'LICENSE:2', 'MESSAGE:2']);
  });

  it('orders a group by priority, then newest first, then id', () => {
    const at = (iso: string) => new Date(iso);
    const items = [
      item({ id: 'old-low', priority: 'LOW', createdAt: at('2024-03-08T08:00:00Z') }),
      item({ id: 'b-tie', createdAt: at('2024-03-07T10:00:00Z') }),
      item({ id: 'a-tie', createdAt: at('2024-03-07T10:00:00Z') }),
      item({ id: 'newest', createdAt: at('2024-03-08T08:30:00Z') }),
      item({ id: 'urgent', priority: 'URGENT', createdAt: at('2024-03-07T09:05:00Z') }),
    ];
    const [group] = groupDigestItems(items);
    expect(group?.count).toBe(5);
    expect(group?.items.map((i) => i.id)).toEqual([
      'urgent',
      'newest',
      'a-tie',
      'b-tie',
      'old-low',
    ]);
  });

  it('does not reorder the caller’s array', () => {
    const items = [item({ priority: 'LOW' }), item({ priority: 'HIGH' })];
    const ids = items.map((i) => i.id);
    groupDigestItems(items);
    expect(items.map((i) => i.id)).toEqual(ids);
  });
});

describe('renderDigestEmail', () => {
  it('says how many unread notifications, singular or plural, daily or weekly', () => {
    const many = Array.from({ length: 12 }, () => item());
    expect(renderDigestEmail(content(many), options).subject).toBe(
      'Your daily digest: 12 unread notifications',
    );
    expect(renderDigestEmail(content([item()]), options).subject).toBe(
      'Your daily digest: 1 unread notification',
    );
    expect(renderDigestEmail(content([item()], { frequency: 'WEEKLY' }), options).subject).toBe(
      'Your weekly digest: 1 unread notification',
    );
    expect(
      renderDigestEmail(content(many.slice(0, 2), { frequency: 'WEEKLY' }), options).subject,
    ).toBe('Your weekly digest: 2 unread notifications');
  });

  it('shows the period in the recipient’s zone across the March DST change', () => {
    // New York springs forward on 2024-03-10: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
    const email = renderDigestEmail(
      content([item()], {
        windowStart: new Date('2024-03-09T14:00:00Z'),
        windowEnd: new Date('2024-03-10T13:00:00Z'),
        timezone: 'America/New_York',
      }),
      options,
    );
    const period = 'Unread notifications from Mar 9, 9:00 AM to Mar 10, 9:00 AM (America/New_York)';
    expect(email.text).toContain(`\n${period}\n`);
    expect(email.html).toContain(`<p>${period}</p>`);
  });

  it('shows a weekly period in Asia/Tokyo, Monday 09:00 to Monday 09:00', () => {
    const email = renderDigestEmail(
      content([item()], {
        frequency: 'WEEKLY',
        windowStart: new Date('2024-03-04T00:00:00Z'),
        windowEnd: new Date('2024-03-11T00:00:00Z'),
        timezone: 'Asia/Tokyo',
      }),
      options,
    );
    expect(email.text).toContain(
      'Unread notifications from Mar 4, 9:00 AM to Mar 11, 9:00 AM (Asia/Tokyo)',
    );
  });

  it('lists each item with its excerpt, priority label and action link', () => {
    const email = renderDigestEmail(
      content([
        item({
          type: 'POST_STATUS_CHANGED',
          title: 'Post approved',
          message: 'Your post "Spring" was approved.\nSecond line is left out.',
          priority: 'URGENT',
          actionUrl: '/posts/42',
        }),
        item({
          type: 'POST_STATUS_CHANGED',
          title: 'Quiet one',
          message: 'Low news',
          priority: 'LOW',
        }),
      ]),
      options,
    );
    expect(email.text).toBe(
      [
        'Your daily digest: 2 unread notifications',
        '',
        'Unread notifications from Mar 7, 9:00 AM to Mar 8, 9:00 AM (UTC)',
        '',
        'Post status changed (2)',
        '- [URGENT] Post approved',
        '  Your post "Spring" was approved.',
        '  Open: https://app.example.test/posts/42',
        '- Quiet one',
        '  Low news',
        '',
        'All your notifications: https://app.example.test/notifications',
        'Choose which emails you get: https://app.example.test/settings/notifications',
        '',
      ].join('\n'),
    );
    expect(email.html).toContain('<h2 style="font-size: 1.0625rem;">Post status changed (2)</h2>');
    expect(email.html).toContain(
      '<li><strong>[URGENT]</strong> <strong>Post approved</strong>' +
        '<br>Your post &quot;Spring&quot; was approved.' +
        '<br><a href="https://app.example.test/posts/42">Open</a></li>',
    );
    expect(email.html).toContain('<li><strong>Quiet one</strong><br>Low news</li>');
    expect(email.html).not.toContain('Second line');
  });

  it('cuts a long first line at 160 characters with an ellipsis', () => {
    const email = renderDigestEmail(content([item({ message: 'x'.repeat(200) })]), options);
    expect(email.text).toContain(`\n  ${'x'.repeat(159)}…\n`);
    const exact = renderDigestEmail(content([item({ message: 'y'.repeat(160) })]), options);
    expect(exact.text).toContain(`\n  ${'y'.repeat(160)}\n`);
  });

  it('lists at most itemsPerType per group and links the rest to the filtered inbox', () => {
    const items = [
      ...Array.from({ length: 5 }, () => item({ type: 'ROYALTY' })),
      item({ type: 'BLOG' }),
    ];
    const email = renderDigestEmail(content(items), { ...options, itemsPerType: 2 });
    expect(email.text).toContain('Royalty (5)\n');
    expect(email.text).toContain(
      '\n  and 3 more: https://app.example.test/notifications?type=ROYALTY\n',
    );
    expect(email.text.match(/^- /gm)).toHaveLength(3);
    expect(email.html).toContain(
      '<p><a href="https://app.example.test/notifications?type=ROYALTY">and 3 more</a></p>',
    );
    // The small group has nothing left over.
    expect(email.text).not.toContain('?type=BLOG');
  });

  it('escapes every user value in the HTML', () => {
    const email = renderDigestEmail(
      content([
        item({
          title: '<script>alert("x")</script>',
          message: 'Tom & Jerry <b>',
          actionUrl: 'https://example.test/a?x=1&y=2',
        }),
      ]),
      options,
    );
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain(
      '<strong>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</strong>',
    );
    expect(email.html).toContain('<br>Tom &amp; Jerry &lt;b&gt;');
    expect(email.html).toContain('href="https://example.test/a?x=1&amp;y=2"');
  });

  it('leaves out an action link that is not http(s)', () => {
    const email = renderDigestEmail(content([item({ actionUrl: 'javascript:alert(1)' })]), options);
    expect(email.text).not.toContain('Open:');
    expect(email.text).not.toContain('javascript:');
    expect(email.html).not.toContain('javascript:');
    expect(email.html).not.toContain('>Open</a>');
  });

  it('derives the Message-ID from the delivery and sets the digest headers', () => {
    const email = renderDigestEmail(content([item()], { frequency: 'WEEKLY' }), options);
    expect(digestMessageId(deliveryId, 'mail.example.test')).toBe(
      '<digest-7c1e2d3a-0b4f-4e5a-8c6d-9e0f1a2b3c4d@mail.example.test>',
    );
    expect(email.messageId).toBe('<digest-7c1e2d3a-0b4f-4e5a-8c6d-9e0f1a2b3c4d@mail.example.test>');
    expect(email.headers).toEqual({
      'Auto-Submitted': 'auto-generated',
      'X-Conveyor-Digest-Id': deliveryId,
      'X-Conveyor-Digest-Frequency': 'WEEKLY',
      'List-Unsubscribe': '<https://app.example.test/settings/notifications>',
    });
  });

  it('links the inbox and the preferences in the HTML footer', () => {
    const email = renderDigestEmail(content([item()]), options);
    expect(email.html).toContain(
      '<a href="https://app.example.test/notifications">All your notifications</a>',
    );
    expect(email.html).toContain(
      '<a href="https://app.example.test/settings/notifications">Choose which emails you get</a>',
    );
  });

  it('refuses an empty digest', () => {
    expect(() => renderDigestEmail(content([]), options)).toThrow(
      `Digest ${deliveryId} has no notifications to send`,
    );
  });
});
