import {
  absoluteActionUrl,
  automaticMessageHeaders,
  escapeHtml,
  headerLine,
  htmlParagraphs,
  productLinks,
} from '@conveyor/mail/html';
import type { OutgoingEmail } from '@conveyor/mail/mailer';
import type { NotificationPriority, NotificationType } from '@conveyor/notifications/model';

/** What the email of one notification is made of. */
export interface EmailContent {
  id: string;
  type: NotificationType;
  title: string;
  message: string;
  actionUrl: string | null;
  priority: NotificationPriority;
  critical: boolean;
}

/** A notification's email; its Message-ID is `<notification-<id>@domain>` on every attempt. */
export type RenderedEmail = OutgoingEmail;

export interface EmailLinks {
  /** Public URL of the product, without a trailing slash. */
  appUrl: string;
  /** Right-hand side of the Message-ID. */
  idDomain: string;
}

const subjectPrefix: Partial<Record<NotificationPriority, string>> = {
  URGENT: '[URGENT] ',
  HIGH: '[HIGH] ',
};

/**
 * The one Message-ID of a notification's email. Every attempt carries it, so a duplicate left
 * by a crash between the SMTP 250 and the `sent` mark is the same message to any mail system
 * that deduplicates by Message-ID, and is recognisable as such by anyone who looks.
 */
export function notificationMessageId(notificationId: string, idDomain: string): string {
  return `<notification-${notificationId}@${idDomain}>`;
}

/** Subject, plain text and HTML of a notification's email, with every user value escaped. */
export function renderNotificationEmail(content: EmailContent, links: EmailLinks): RenderedEmail {
  const { inboxUrl, preferencesUrl } = productLinks(links.appUrl);
  const actionUrl = absoluteActionUrl(content.actionUrl, links.appUrl);
  const criticalNote = content.critical
    ? 'This is a security notice: it is sent whatever your email preferences.'
    : null;

  const text = [
    content.title,
    '',
    content.message,
    ...(actionUrl ? ['', `Open: ${actionUrl}`] : []),
    '',
    `All your notifications: ${inboxUrl}`,
    `Choose which emails you get: ${preferencesUrl}`,
    ...(criticalNote ? ['', criticalNote] : []),
    '',
  ].join('\n');

  const paragraphs = htmlParagraphs(content.message);
  const html = [
    '<!doctype html>',
    `<html><head><meta charset="utf-8"><title>${escapeHtml(content.title)}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5; color: #1f2328;">',
    `<h1 style="font-size: 1.25rem;">${escapeHtml(content.title)}</h1>`,
    paragraphs,
    ...(actionUrl ? [`<p><a href="${escapeHtml(actionUrl)}">Open</a></p>`] : []),
    '<hr>',
    `<p style="font-size: 0.875rem;"><a href="${escapeHtml(inboxUrl)}">All your notifications</a>`,
    ` · <a href="${escapeHtml(preferencesUrl)}">Choose which emails you get</a></p>`,
    ...(criticalNote ? [`<p style="font-size: 0.875rem;">${escapeHtml(criticalNote)}</p>`] : []),
    '</body></html>',
    '',
  ].join('\n');

  return {
    subject: `${subjectPrefix[content.priority] ?? ''}${headerLine(content.title)}`,
    text,
    html,
    messageId: notificationMessageId(content.id, links.idDomain),
    headers: {
      ...automaticMessageHeaders,
      'X-Conveyor-Notification-Id': content.id,
      'X-Conveyor-Notification-Type': content.type,
    },
  };
}
