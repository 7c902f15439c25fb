import { listVar } from '@conveyor/runtime/config';
import { parseAllowList } from '@conveyor/url-guard/addresses';
import type { TargetPolicy } from '@conveyor/url-guard/target';
import { z } from 'zod';

const isNetworkList = (cidrs: readonly string[]) => {
  try {
    parseAllowList(cidrs);
    return true;
  } catch {
    return false;
  }
};

/** Where webhooks may be sent: read by webhooks-svc (registration) and webhook-worker (delivery). */
export const webhookTargetConfigShape = {
  /**
   * Whether plain `http:` URLs are accepted besides `https:`.
   * @defaultValue true, except with `NODE_ENV=production`
   */
  WEBHOOK_ALLOW_HTTP: z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], {
      error: 'must be one of true, false, 1, 0, yes, no',
    })
    .optional()
    .transform((value) =>
      value === undefined ? undefined : value === 'true' || value === '1' || value === 'yes',
    ),
  /**
   * Networks in CIDR form (`10.0.0.0/8,::1/128`) webhooks may reach although they are not
   * public: tests and private deployments. Off by default.
   * @defaultValue empty
   */
  WEBHOOK_ALLOWED_NETWORKS: listVar('').refine(isNetworkList, {
    error: 'must be a comma-separated list of networks in CIDR form (10.0.0.0/8)',
  }),
} as const;

export interface WebhookTargetConfig {
  NODE_ENV: 'development' | 'test' | 'production';
  WEBHOOK_ALLOW_HTTP: boolean | undefined;
  WEBHOOK_ALLOWED_NETWORKS: readonly string[];
}

/** The SSRF policy of the config: the same at registration and at every delivery. */
export function targetPolicyOf(config: WebhookTargetConfig): TargetPolicy {
  return {
    allowHttp: config.WEBHOOK_ALLOW_HTTP ?? config.NODE_ENV !== 'production',
    allowList: parseAllowList(config.WEBHOOK_ALLOWED_NETWORKS),
  };
}
