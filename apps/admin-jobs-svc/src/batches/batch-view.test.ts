import type { AdminBatch } from '@conveyor/db/schema';
import { describe, expect, it } from 'vitest';
import { bulkBatchView, etaOf, percentOf } from './batch-view.js';

describe('percentOf', () => {
  it('gives one decimal, and 0 without a total until the batch completes', () => {
    expect(percentOf(1, 3, false)).toBe(33.3);
    expect(percentOf(2, 3, false)).toBe(66.7);
    expect(percentOf(0, null, false)).toBe(0);
    expect(percentOf(0, 0, false)).toBe(0);
    expect(percentOf(0, 0, true)).toBe(100);
    expect(percentOf(5, 4, false)).toBe(100);
  });
});

describe('etaOf', () => {
  const startedAt = new Date('2026-01-01T00:00:00Z');
  const now = new Date('2026-01-01T00:00:10Z');

  it('extrapolates the pace so far to what remains', () => {
    expect(etaOf({ completed: 100, total: 400, startedAt }, false, now)).toBe(30);
  });

  it('is null before the first progress, without a start or a total, and once finished', () => {
    expect(etaOf({ completed: 0, total: 400, startedAt }, false, now)).toBeNull();
    expect(etaOf({ completed: 10, total: null, startedAt }, false, now)).toBeNull();
    expect(etaOf({ completed: 10, total: 400, startedAt: null }, false, now)).toBeNull();
    expect(etaOf({ completed: 100, total: 400, startedAt }, true, now)).toBeNull();
  });
});

describe('bulkBatchView', () => {
  it('shows a queued batch with nothing counted yet', () => {
    const createdAt = new Date('2026-01-01T00:00:00Z');
    const row: AdminBatch = {
      id: '11111111-1111-4111-8111-111111111111',
      action: 'cancel',
      adminId: 'root',
      filter: { queue: 'media-preview' },
      parameters: { terminate: true },
      state: 'queued',
      total: null,
      processed: 0,
      succeeded: 0,
      skipped: 0,
      failed: 0,
      cursor: null,
      error: null,
      createdAt,
      startedAt: null,
      updatedAt: createdAt,
      finishedAt: null,
    };
    expect(bulkBatchView(row, createdAt)).toStrictEqual({
      id: row.id,
      kind: 'bulk-cancel',
      state: 'queued',
      total: null,
      completed: 0,
      percent: 0,
      estimatedSecondsRemaining: null,
      startedAt: null,
      finishedAt: null,
      createdAt: createdAt.toISOString(),
      counts: { succeeded: 0, skipped: 0, failed: 0 },
      adminId: 'root',
      filter: { queue: 'media-preview', terminate: true },
      error: null,
    });
  });
});
