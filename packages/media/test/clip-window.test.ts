import { describe, expect, it } from 'vitest';
import {
  AUDIO_PREVIEW,
  audioPreviewArgs,
  clipWindow,
  VIDEO_PREVIEW,
  videoPreviewArgs,
} from '../src/clips.js';

describe('clipWindow', () => {
  it('gives the whole source when it is no longer than the clip', () => {
    expect(clipWindow(4, 10)).toEqual({ startSeconds: 0, durationSeconds: 4 });
    expect(clipWindow(10, 10)).toEqual({ startSeconds: 0, durationSeconds: 10 });
  });

  it('starts a long source at a fifth of its duration', () => {
    expect(clipWindow(60, VIDEO_PREVIEW.seconds)).toEqual({
      startSeconds: 12,
      durationSeconds: 10,
    });
    expect(clipWindow(300, AUDIO_PREVIEW.seconds)).toEqual({
      startSeconds: 60,
      durationSeconds: 30,
    });
  });

  it('never runs past the end', () => {
    for (const source of [10.5, 11, 12, 12.5, 13, 20, 33.3, 3600]) {
      const { startSeconds, durationSeconds } = clipWindow(source, 10);
      expect(durationSeconds).toBe(10);
      expect(startSeconds).toBeGreaterThanOrEqual(0);
      expect(startSeconds + durationSeconds).toBeLessThanOrEqual(source);
    }
  });

  it('treats a missing or nonsense duration as empty', () => {
    expect(clipWindow(Number.NaN, 10)).toEqual({ startSeconds: 0, durationSeconds: 0 });
    expect(clipWindow(-1, 10)).toEqual({ startSeconds: 0, durationSeconds: 0 });
  });
});

describe('preview arguments', () => {
  it('encode video with libx264 veryfast at 1000k, AAC only with audio, fast start', () => {
    const withAudio = videoPreviewArgs({ startSeconds: 12, durationSeconds: 10 }, true);
    expect(withAudio.join(' ')).toContain('-c:v libx264 -preset veryfast -b:v 1000k');
    expect(withAudio.join(' ')).toContain('-c:a aac -b:a 128k');
    expect(withAudio.join(' ')).toContain('-movflags +faststart');
    const silent = videoPreviewArgs({ startSeconds: 0, durationSeconds: 4 }, false);
    expect(silent).toContain('-an');
    expect(silent).not.toContain('0:a:0');
  });

  it('encode audio as MP3 at 128k', () => {
    expect(audioPreviewArgs({ startSeconds: 0, durationSeconds: 30 }).join(' ')).toContain(
      '-t 30.000 -map_metadata -1 -vn -sn -dn -c:a libmp3lame -b:a 128k -f mp3',
    );
  });
});
