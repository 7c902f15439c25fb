import { describe, expect, it } from 'vitest';
import { jobMessage, jobMessageId, testMessage } from '../src/messages.js';

const event = {
  queue: 'media-preview',
  jobId: 'job-1',
  name: 'media.preview',
  ownerId: 'user-1',
  streamId: '1700000000000-0',
} as const;

describe('job messages', () => {
  it('carry spec 004 payloads, keys in the spec’s order', () => {
    expect(jobMessage({ ...event, type: 'progress', progress: 75 }).body).toBe(
      '{"id":"job-1","jobname":"media.preview","userId":"user-1","progress":75,"eventType":"progress"}',
    );
    expect(jobMessage({ ...event, type: 'completed', result: 'done' }).body).toBe(
      '{"id":"job-1","jobname":"media.preview","userId":"user-1","result":"done","eventType":"completed"}',
    );
    expect(jobMessage({ ...event, type: 'failed', error: 'boom' }).body).toBe(
      '{"id":"job-1","jobname":"media.preview","userId":"user-1","error":"boom","eventType":"failed"}',
    );
  });

  it('send null for a job that returned nothing', () => {
    expect(JSON.parse(jobMessage({ ...event, type: 'completed' }).body)).toMatchObject({
      result: null,
    });
  });

  it('name one event the same every time it is read, and different events differently', () => {
    const first = jobMessage({ ...event, type: 'completed', result: 1 });
    expect(jobMessage({ ...event, type: 'completed', result: 1 }).id).toBe(first.id);
    expect(first.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
    expect(jobMessageId('media-preview', '1700000000000-1', 'job-1')).not.toBe(first.id);
    expect(jobMessageId('media-preview', '1700000000000-0', 'job-2')).not.toBe(first.id);
    expect(jobMessageId('analytics-aggregation', '1700000000000-0', 'job-1')).not.toBe(first.id);
  });
});

describe('test messages', () => {
  it('are marked test, carry their own id, and differ every time', () => {
    const message = testMessage('user-1', new Date('2026-11-23T10:00:00Z'));
    expect(JSON.parse(message.body)).toEqual({
      id: message.id,
      jobname: 'webhook.test',
      userId: 'user-1',
      eventType: 'test',
      sentAt: '2026-11-23T10:00:00.000Z',
    });
    expect(testMessage('user-1').id).not.toBe(message.id);
  });
});
