import { errorText, HttpError } from '@conveyor/service-kit/errors';
import { checkTarget, type TargetPolicy } from '@conveyor/url-guard/target';

/**
 * Checks a webhook URL against the SSRF policy (scheme, credentials, and every address its
 * host resolves to) when it is registered or changed. A refusal answers like a failed schema
 * check of the body: 400 `Invalid request body`, the reason as the `url` field's issue. The
 * webhook worker checks again at each delivery, since a name may resolve elsewhere later.
 */
export function createTargetCheck(policy: TargetPolicy) {
  return async function assertAllowedTarget(url: string): Promise<void> {
    const check = await checkTarget(url, policy);
    if (!check.ok) {
      throw new HttpError(400, errorText.invalidBody, [{ path: 'url', message: check.reason }]);
    }
  };
}

export type TargetCheck = ReturnType<typeof createTargetCheck>;
