import {
  absoluteActionUrl,
  automaticMessageHeaders,
  escapeHtml,
  headerLine,
  productLinks,
} from '@conveyor/mail/html';
import type { OutgoingEmail } from '@conveyor/mail/mailer';
import type { NotificationPriority, NotificationType } from '@conveyor/notifications/model';

/** One unread notification of a digest. */
export interface DigestItem {
  id: string;
  type: NotificationType;
  title: string;
  message: string;
  actionUrl: string | null;
  priority: NotificationPriority;
  createdAt: Date;
}

/** What a digest email is made of (spec 001 "Notification Digest System"). */
export interface DigestContent {
  /** The digest_deliveries row id: the Message-ID derives from it. */
  deliveryId: string;
  frequency: 'DAILY' | 'WEEKLY';
  windowStart: Date;
  windowEnd: Date;
  /** IANA zone of the recipient, for the dates shown. */
  timezone: string;
  /** Every unread notification of the window (any order; the renderer orders them). */
  items: DigestItem[];
}

export interface DigestEmailOptions {
  /** Public URL of the product, without a trailing slash. */
  appUrl: string;
  /** Right-hand side of the Message-ID. */
  idDomain: string;
  /** Items listed per type; the rest is counted with a link. */
  itemsPerType: number;
}

export interface DigestGroup {
  type: NotificationType;
  count: number;
  items: DigestItem[];
}

/** Longest excerpt of a message, in characters, ellipsis included. */
const excerptLength = 160;

const priorityRank: Record<NotificationPriority, number> = {
  URGENT: 3,
  HIGH: 2,
  MEDIUM: 1,
  LOW: 0,
};

/** Only the priorities worth pointing out; the same labels as the single email's subject. */
const priorityLabel: Partial<Record<NotificationPriority, string>> = {
  URGENT: '[URGENT]',
  HIGH: '[HIGH]',
};

/**
 * The one Message-ID of a digest's email, the same on every attempt, so a duplicate left by a
 * crash between the SMTP 250 and the `sent` mark is recognisably the same message.
 */
export function digestMessageId(deliveryId: string, idDomain: string): string {
  return `<digest-${deliveryId}@${idDomain}>`;
}

// Plain code-unit comparison rather than localeCompare: the order must not depend on the
// runtime's locale, or two attempts of one digest could differ.
const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Most important first, then newest, then by id so equal items keep one order. */
function compareItems(a: DigestItem, b: DigestItem): number {
  return (
    priorityRank[b.priority] - priorityRank[a.priority] ||
    b.createdAt.getTime() - a.createdAt.getTime() ||
    compareStrings(a.id, b.id)
  );
}

/**
 * The items by type, each group sorted; groups with the most important item first, then the
 * larger ones, then by type name.
 */
export function groupDigestItems(items: DigestItem[]): DigestGroup[] {
  const byType = new Map<NotificationType, DigestItem[]>();
  for (const item of items) {
    const group = byType.get(item.type);
    if (group) group.push(item);
    else byType.set(item.type, [item]);
  }
  const groups = [...byType].map(([type, groupItems]) => ({
    type,
    count: groupItems.length,
    items: groupItems.toSorted(compareItems),
  }));
  // Every group has at least one item, and after the sort its first is its highest priority.
  const topRank = (group: DigestGroup) => priorityRank[group.items[0]?.priority ?? 'LOW'];
  return groups.sort(
    (a, b) => topRank(b) - topRank(a) || b.count - a.count || compareStrings(a.type, b.type),
  );
}

/** `POST_STATUS_CHANGED` -> `Post status changed`. */
function typeLabel(type: NotificationType): string {
  const words = type.toLowerCase().replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The message's first non-blank line, cut with an ellipsis when it is long. */
function excerpt(message: string): string {
  const firstLine = message.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  // Code points, not UTF-16 units, so the cut never splits an emoji in half.
  const chars = Array.from(firstLine.trim());
  if (chars.length <= excerptLength) return chars.join('');
  const cut = chars.slice(0, excerptLength - 1).join('');
  return `${cut.trimEnd()}…`;
}

/**
 * One formatter per zone, made once: building an `Intl.DateTimeFormat` costs about 80 µs and
 * holds native memory the garbage collector is slow to return, which at two per email was a
 * twentieth of a digest run's CPU and hundreds of MiB of RSS.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      month: 'short',
      day: 'numeric',
      hour: 'numeric',
      minute: '2-digit',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** `Mar 7, 9:00 AM` in the recipient's zone. */
function formatInZone(date: Date, timeZone: string): string {
  // Recent ICU versions put a narrow no-break space before AM/PM; plain text wants a space.
  return formatterFor(timeZone).format(date).replaceAll(/\s/g, ' ');
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** Subject, plain text and HTML of a digest, with every user value escaped in the HTML. */
export function renderDigestEmail(
  content: DigestContent,
  options: DigestEmailOptions,
): OutgoingEmail {
  if (content.items.length === 0) {
    throw new Error(`Digest ${content.deliveryId} has no notifications to send`);
  }
  const { inboxUrl, preferencesUrl } = productLinks(options.appUrl);
  const subject = headerLine(
    `Your ${content.frequency === 'DAILY' ? 'daily' : 'weekly'} digest: ${plural(
      content.items.length,
      'unread notification',
    )}`,
  );
  const period =
    `Unread notifications from ${formatInZone(content.windowStart, content.timezone)}` +
    ` to ${formatInZone(content.windowEnd, content.timezone)} (${content.timezone})`;

  const groups = groupDigestItems(content.items).map((group) => {
    const listed = group.items.slice(0, Math.max(0, options.itemsPerType));
    return {
      heading: `${typeLabel(group.type)} (${group.count})`,
      items: listed.map((item) => ({
        label: priorityLabel[item.priority] ?? null,
        // A title is one line in a list; a line break in it would break the layout.
        title: headerLine(item.title),
        excerpt: excerpt(item.message),
        actionUrl: absoluteActionUrl(item.actionUrl, options.appUrl),
      })),
      rest: group.count - listed.length,
      restUrl: `${inboxUrl}?type=${encodeURIComponent(group.type)}`,
    };
  });

  const text = [
    subject,
    '',
    period,
    ...groups.flatMap((group) => [
      '',
      group.heading,
      ...group.items.flatMap((item) => [
        `- ${item.label ? `${item.label} ` : ''}${item.title}`,
        ...(item.excerpt ? [`  ${item.excerpt}`] : []),
        ...(item.actionUrl ? [`  Open: ${item.actionUrl}`] : []),
      ]),
      ...(group.rest > 0 ? [`  and ${group.rest} more: ${group.restUrl}`] : []),
    ]),
    '',
    `All your notifications: ${inboxUrl}`,
    `Choose which emails you get: ${preferencesUrl}`,
    '',
  ].join('\n');

  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">',
    `<h1 style="font-size: 1.25rem;">${escapeHtml(subject)}</h1>`,
    `<p>${escapeHtml(period)}</p>`,
    ...groups.flatMap((group) => [
      `<h2 style="font-size: 1.0625rem;">${escapeHtml(group.heading)}</h2>`,
      '<ul>',
      ...group.items.map((item) =>
        [
          '<li>',
          item.label ? `<strong>${escapeHtml(item.label)}</strong> ` : '',
          `<strong>${escapeHtml(item.title)}</strong>`,
          item.excerpt ? `<br>${escapeHtml(item.excerpt)}` : '',
          item.actionUrl ? `<br><a href="${escapeHtml(item.actionUrl)}">Open</a>` : '',
          '</li>',
        ].join(''),
      ),
      '</ul>',
      ...(group.rest > 0
        ? [`<p><a href="${escapeHtml(group.restUrl)}">and ${group.rest} more</a></p>`]
        : []),
    ]),
    '<hr>',
    `<p style="font-size: 0.875rem;"><a href="${escapeHtml(inboxUrl)}">All your notifications</a>`,
    ` · <a href="${escapeHtml(preferencesUrl)}">Choose which emails you get</a></p>`,
    '</body></html>',
    '',
  ].join('\n');

  return {
    subject,
    text,
    html,
    messageId: digestMessageId(content.deliveryId, options.idDomain),
    headers: {
      ...automaticMessageHeaders,
      'X-Conveyor-Digest-Id': content.deliveryId,
      'X-Conveyor-Digest-Frequency': content.frequency,
      // RFC 2369: a URL in angle brackets; the preferences page is where digests are turned off.
      'List-Unsubscribe': `<${preferencesUrl}>`,
    },
  };
}
