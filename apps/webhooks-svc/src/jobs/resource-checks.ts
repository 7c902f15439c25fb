import { findOwnedAsset } from '@conveyor/assets/ownership';
import type { Database } from '@conveyor/db/client';
import type { JobName, ParsedPayloadOf } from '@conveyor/queue-contracts';

/**
 * Checks of the resources a submitted job names, by job name: a user may submit a job only for
 * things they own. A check gets the payload its job's schema parsed and the caller, and answers
 * the 404 text when the resource is missing or another user's (both answer alike, so an id tells
 * nothing about other users), or nothing when the job may go. A job without a check needs none.
 */
export type ResourceCheck<Name extends JobName = JobName> = (
  payload: ParsedPayloadOf<Name>,
  caller: { ownerId: string },
) => Promise<string | undefined>;

export type ResourceChecks = { readonly [Name in JobName]?: ResourceCheck<Name> };

export interface ResourceCheckDeps {
  db: Database;
}

/** The platform's checks. */
export function createResourceChecks(deps: ResourceCheckDeps): ResourceChecks {
  return {
    'asset.preview': async (payload, caller) =>
      (await findOwnedAsset(deps.db, caller.ownerId, payload.assetId))
        ? undefined
        : 'Asset not found',
  };
}

/** The check of the job `name`, if it has one. */
export function resourceCheckOf(
  checks: ResourceChecks,
  name: string,
): ResourceCheck<JobName> | undefined {
  // Own properties only, as with the catalog: `constructor` must not reach the prototype.
  return Object.hasOwn(checks, name) ? checks[name as JobName] : undefined;
}
