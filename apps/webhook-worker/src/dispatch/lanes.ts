import type { ClaimedDelivery } from './claim.js';

export interface LaneLimits {
  /** Requests in flight at once, all endpoints together. */
  concurrency: number;
  /** Requests in flight at once to one endpoint. */
  perEndpoint: number;
}

/** What the next claim may take: in all, and per endpoint already held. */
export interface ClaimRoom {
  total: number;
  perEndpoint: number;
  byEndpoint: Map<number, number>;
}

interface Lane {
  waiting: ClaimedDelivery[];
  sending: number;
}

/**
 * The deliveries this instance holds, one lane per endpoint: those being sent and those
 * claimed ahead, waiting for a slot. A lane sends at most `perEndpoint` at once and the lanes
 * together at most `concurrency`; free slots go to the lanes in turn, so a slow endpoint keeps
 * its own slots busy and never the others'.
 *
 * Claims run ahead by one slot's worth (at most twice the limits are held), so a freed slot
 * finds its next delivery at hand instead of waiting for a claim round trip. A delivery claimed
 * ahead waits at most for one send, its lane's or another's, before its own starts: the claim
 * lease (WEBHOOK_CLAIM_LEASE_MS, more than two timeouts) covers that wait and its own send.
 */
export function createLanes(limits: LaneLimits) {
  const lanes = new Map<number, Lane>();
  /** Lanes with a waiting delivery and a free slot of their own, in turn order. */
  const ready = new Set<number>();
  let sending = 0;
  let waiting = 0;

  const laneOf = (endpointId: number): Lane => {
    let lane = lanes.get(endpointId);
    if (!lane) {
      lane = { waiting: [], sending: 0 };
      lanes.set(endpointId, lane);
    }
    return lane;
  };
  const refresh = (endpointId: number, lane: Lane) => {
    ready.delete(endpointId);
    if (lane.waiting.length > 0 && lane.sending < limits.perEndpoint) ready.add(endpointId);
    else if (lane.waiting.length === 0 && lane.sending === 0) lanes.delete(endpointId);
  };

  return {
    add(deliveries: readonly ClaimedDelivery[]): void {
      for (const delivery of deliveries) {
        const lane = laneOf(delivery.endpointId);
        lane.waiting.push(delivery);
        waiting += 1;
        if (lane.sending < limits.perEndpoint) ready.add(delivery.endpointId);
      }
    },

    /** The delivery to send next, now counted as sending; undefined when none may start. */
    next(): ClaimedDelivery | undefined {
      if (sending >= limits.concurrency) return undefined;
      const endpointId = ready.values().next().value;
      if (endpointId === undefined) return undefined;
      const lane = lanes.get(endpointId)!;
      const delivery = lane.waiting.shift()!;
      waiting -= 1;
      lane.sending += 1;
      sending += 1;
      // Back to the end of the turn order, if it may send more.
      refresh(endpointId, lane);
      return delivery;
    },

    /** A send of the endpoint's lane has ended and its outcome is stored. */
    done(endpointId: number): void {
      const lane = lanes.get(endpointId);
      if (!lane || lane.sending === 0) return;
      lane.sending -= 1;
      sending -= 1;
      if (!ready.has(endpointId)) refresh(endpointId, lane);
    },

    /**
     * Room for the next claim. A send keeps its slot until its outcome is stored, so a
     * PostgreSQL that stores slower than we send slows the sends and the claims instead of
     * piling up outcomes in memory.
     */
    claimRoom(): ClaimRoom {
      const byEndpoint = new Map<number, number>();
      const perEndpoint = 2 * limits.perEndpoint;
      for (const [endpointId, lane] of lanes) {
        byEndpoint.set(endpointId, Math.max(0, perEndpoint - lane.sending - lane.waiting.length));
      }
      const held = 2 * limits.concurrency;
      const total = Math.max(0, held - sending - waiting);
      return { total, perEndpoint, byEndpoint };
    },

    /** Takes every waiting delivery out, to give back at shutdown. */
    drainWaiting(): ClaimedDelivery[] {
      const drained: ClaimedDelivery[] = [];
      for (const [endpointId, lane] of lanes) {
        drained.push(...lane.waiting);
        lane.waiting = [];
        refresh(endpointId, lane);
      }
      waiting = 0;
      return drained;
    },

    get sending(): number {
      return sending;
    },
  };
}

export type Lanes = ReturnType<typeof createLanes>;
