import type { DigestFrequency, NotificationType } from './model.js';

export interface EmailPreferences {
  enabledTypes: readonly NotificationType[];
  digestFrequency: DigestFrequency;
  emailEnabled: boolean;
}

/** What happens to a notification's email, and why. */
export type EmailDecision =
  | { action: 'send' }
  | { action: 'digest'; reason: 'digest-daily' | 'digest-weekly' }
  | { action: 'skip'; reason: 'email-disabled' | 'digest-never' | 'type-disabled' };

/**
 * The email rules of spec 001 ("Email Preferences Rules", "Digest Frequency Rules"). The in-app
 * notification is always kept; this decides only the email. A critical security notification
 * bypasses the preferences ("System administrators can override preferences").
 */
export function decideEmail(
  notification: { type: NotificationType; critical: boolean },
  preferences: EmailPreferences,
): EmailDecision {
  if (notification.critical) return { action: 'send' };
  if (!preferences.emailEnabled) return { action: 'skip', reason: 'email-disabled' };
  if (!preferences.enabledTypes.includes(notification.type))
    return { action: 'skip', reason: 'type-disabled' };
  switch (preferences.digestFrequency) {
    case 'IMMEDIATE':
      return { action: 'send' };
    case 'DAILY':
      return { action: 'digest', reason: 'digest-daily' };
    case 'WEEKLY':
      return { action: 'digest', reason: 'digest-weekly' };
    case 'NEVER':
      return { action: 'skip', reason: 'digest-never' };
  }
}
