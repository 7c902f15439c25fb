import { describe, expect, it } from 'vitest';
import {
  decodeJobCancelRequest,
  encodeJobCancelRequest,
  jobCancelChannel,
  QueueName,
} from '../src/index.js';

describe('the cancel contract', () => {
  it('names the channel under the BullMQ prefix', () => {
    expect(jobCancelChannel('{conveyor}')).toBe('{conveyor}:job-cancel');
  });

  it('reads back what it encodes', () => {
    const request = { queue: QueueName.mediaPreview, jobId: 'job-1' };
    expect(decodeJobCancelRequest(encodeJobCancelRequest(request))).toEqual(request);
  });

  it('refuses to encode a request without a job id', () => {
    expect(() => encodeJobCancelRequest({ queue: QueueName.mediaPreview, jobId: '' })).toThrow();
  });

  it.each([['not json'], ['null'], ['{"jobId":"job-1"}'], ['{"queue":"q","jobId":7}']])(
    'reads %s as no request',
    (message) => {
      expect(decodeJobCancelRequest(message)).toBeNull();
    },
  );
});
