import type { DeliveriesRepository } from '../../webhooks/deliveries-repository.js';
import type { EndpointsRepository } from '../../webhooks/endpoints-repository.js';
import type { TargetCheck } from '../../webhooks/target-check.js';

/** What the /api/webhooks routes work with; each route file takes the part it needs. */
export interface WebhookRoutesOptions {
  endpoints: EndpointsRepository;
  deliveries: DeliveriesRepository;
  /** The SSRF check of a URL being registered. */
  checkTarget: TargetCheck;
  /** `WEBHOOK_MAX_ENDPOINTS_PER_USER`. */
  maxEndpoints: number;
  /** `WEBHOOK_SECRET_GRACE_HOURS`. */
  secretGraceHours: number;
}
