import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { epochNow, spanMs, watchChildren } from '../src/process-children.js';

const exited = (child: ReturnType<typeof spawn>) =>
  new Promise<void>((resolve) => child.on('close', () => resolve()));

describe('the child process watcher', () => {
  it('sees each child of a process by its exec name, with its lifetime', async () => {
    const watcher = watchChildren(process.pid, 5);
    const before = epochNow();
    const first = spawn('sleep', ['0.3']);
    await exited(first);
    const second = spawn('sleep', ['0.1']);
    await exited(second);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const spans = watcher
      .stop()
      .filter((span) => span.pid === first.pid || span.pid === second.pid);
    expect(spans.map((span) => span.name)).toEqual(['sleep', 'sleep']);
    const [long, short] = spans;
    expect(long!.firstSeenMs).toBeGreaterThanOrEqual(before);
    expect(long!.endMs).toBeDefined();
    expect(spanMs(long!)).toBeGreaterThan(250);
    expect(spanMs(long!)).toBeLessThan(450);
    expect(spanMs(short!)).toBeGreaterThan(60);
    expect(short!.firstSeenMs).toBeGreaterThanOrEqual(long!.endMs!);
  });

  it('sees nothing for a process without children, and nothing for one that is gone', () => {
    expect(watchChildren(process.pid).stop()).toEqual([]);
    expect(watchChildren(2 ** 22 + 1).stop()).toEqual([]);
  });
});
