/**
 * Why a webhook operation did not happen. The repositories answer these instead of throwing,
 * and the routes turn each into its status and text (routes/webhooks/errors.ts).
 * - `no-webhook`, `no-delivery`: missing, another user's, or a legacy endpoint.
 * - `limit`: the owner already has `WEBHOOK_MAX_ENDPOINTS_PER_USER` endpoints.
 * - `disabled`: the endpoint is inactive, so nothing may be sent to it.
 * - `in-progress`: the delivery is pending or being sent already.
 */
export type Refusal = 'no-webhook' | 'no-delivery' | 'limit' | 'disabled' | 'in-progress';
