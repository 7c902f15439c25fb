import { describe, expect, it } from 'vitest';
import type { ClaimedDelivery } from './claim.js';
import { createLanes } from './lanes.js';

let nextId = 1;
const delivery = (endpointId: number): ClaimedDelivery => ({
  id: nextId++,
  endpointId,
  ownerId: 'owner',
  attemptCount: 0,
  runAttempts: 0,
  messageId: `msg_${nextId}`,
  body: '{}',
  url: 'https://hooks.example.com/',
  secrets: ['whsec_x'],
});

const drain = (lanes: ReturnType<typeof createLanes>) => {
  const started: ClaimedDelivery[] = [];
  for (let next = lanes.next(); next; next = lanes.next()) started.push(next);
  return started;
};

describe('lanes', () => {
  it('sends at most the per-endpoint limit of one endpoint, whatever is waiting', () => {
    const lanes = createLanes({ concurrency: 10, perEndpoint: 2 });
    lanes.add([1, 1, 1, 1].map(delivery));
    expect(drain(lanes)).toHaveLength(2);
    lanes.done(1);
    expect(drain(lanes)).toHaveLength(1);
    expect(lanes.sending).toBe(2);
  });

  it('gives free slots to the endpoints in turn', () => {
    const lanes = createLanes({ concurrency: 3, perEndpoint: 3 });
    lanes.add([1, 1, 1, 2, 2, 2, 3].map(delivery));
    expect(drain(lanes).map((d) => d.endpointId)).toEqual([1, 2, 3]);
    lanes.done(1);
    lanes.done(2);
    expect(drain(lanes).map((d) => d.endpointId)).toEqual([1, 2]);
  });

  it('keeps a slow endpoint to its own slots while the others go on', () => {
    const lanes = createLanes({ concurrency: 4, perEndpoint: 2 });
    lanes.add([1, 1, 1, 1, 1, 1].map(delivery));
    lanes.add([2, 2, 2].map(delivery));
    expect(
      drain(lanes)
        .map((d) => d.endpointId)
        .sort(),
    ).toEqual([1, 1, 2, 2]);
    // Endpoint 1 never finishes; endpoint 2's slots keep turning.
    for (let round = 0; round < 2; round += 1) lanes.done(2);
    expect(drain(lanes).map((d) => d.endpointId)).toEqual([2]);
  });

  it('makes claim room for twice the limits, less what it holds', () => {
    const lanes = createLanes({ concurrency: 4, perEndpoint: 2 });
    expect(lanes.claimRoom()).toEqual({ total: 8, perEndpoint: 4, byEndpoint: new Map() });
    lanes.add([1, 1, 1, 2].map(delivery));
    drain(lanes);
    expect(lanes.claimRoom()).toEqual({
      total: 4,
      perEndpoint: 4,
      byEndpoint: new Map([
        [1, 1],
        [2, 3],
      ]),
    });
  });

  it('hands every waiting delivery back when drained, and forgets idle endpoints', () => {
    const lanes = createLanes({ concurrency: 1, perEndpoint: 1 });
    lanes.add([1, 1, 2].map(delivery));
    const [sending] = drain(lanes);
    expect(
      lanes
        .drainWaiting()
        .map((d) => d.endpointId)
        .sort(),
    ).toEqual([1, 2]);
    expect(lanes.next()).toBeUndefined();
    lanes.done(sending!.endpointId);
    expect(lanes.sending).toBe(0);
    expect(lanes.claimRoom().byEndpoint.size).toBe(0);
  });
});
