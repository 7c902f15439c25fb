/** What every email of the platform shares: escaping, safe links, the footer's links. */

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/**
 * The action link as an absolute http(s) URL: a path is resolved against the product's URL;
 * anything else (`javascript:`, `data:`, garbage) is left out rather than put in an email.
 */
export function absoluteActionUrl(actionUrl: string | null, appUrl: string): string | null {
  if (!actionUrl) return null;
  try {
    const url = new URL(actionUrl, `${appUrl}/`);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** The product pages every email links to. `appUrl` has no trailing slash. */
export function productLinks(appUrl: string) {
  return {
    inboxUrl: `${appUrl}/notifications`,
    preferencesUrl: `${appUrl}/settings/notifications`,
  };
}

/** A paragraph per blank-line-separated block, single line breaks kept, every character escaped. */
export function htmlParagraphs(text: string): string {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((paragraph) => `<p>${escapeHtml(paragraph).replaceAll(/\r?\n/g, '<br>')}</p>`)
    .join('\n');
}

/** A line for a header (a subject): a line break would end the header. */
export const headerLine = (text: string): string => text.replaceAll(/\s+/g, ' ').trim();

/** RFC 3834: an automatic message; auto-responders must not answer it. */
export const automaticMessageHeaders = { 'Auto-Submitted': 'auto-generated' } as const;
