import { readFileSync } from 'node:fs';

/**
 * When the child processes of a process (e.g. the ffprobe and ffmpeg a worker spawns) start and
 * end, seen from outside by polling `/proc/<pid>/task/<pid>/children` (the children of its main
 * thread, where Node's libuv forks them). Times are epoch milliseconds (`performance.timeOrigin
 * + performance.now()`), comparable with BullMQ's `processedOn`/`finishedOn`; their resolution
 * is the polling interval.
 */

export interface ChildSpan {
  pid: number;
  /** `/proc/<pid>/comm` of the child once it has exec'd (e.g. `ffmpeg`, `ffprobe`). */
  name: string;
  /** First poll that saw it. */
  firstSeenMs: number;
  /** Last poll that saw it; `endMs` is the first poll that did not. */
  lastSeenMs: number;
  endMs: number | undefined;
}

export const epochNow = (): number => performance.timeOrigin + performance.now();

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((value) => value !== '')
      .map(Number);
  } catch {
    return [];
  }
}

function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Polls the children of `pid` every `intervalMs` until `stop()`, which returns every child seen,
 * in the order they appeared. The name is read on every poll while the child lives, since a
 * freshly forked child still carries its parent's name until it execs.
 */
export function watchChildren(pid: number, intervalMs = 5): { stop: () => ChildSpan[] } {
  const spans = new Map<number, ChildSpan>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const poll = () => {
    const now = epochNow();
    const alive = new Set(childrenOf(pid));
    for (const child of alive) {
      const span = spans.get(child);
      const name = commOf(child);
      if (span) {
        span.lastSeenMs = now;
        if (name !== undefined) span.name = name;
      } else {
        spans.set(child, {
          pid: child,
          name: name ?? '?',
          firstSeenMs: now,
          lastSeenMs: now,
          endMs: undefined,
        });
      }
    }
    for (const span of spans.values()) {
      if (span.endMs === undefined && !alive.has(span.pid)) span.endMs = now;
    }
  };
  const loop = () => {
    poll();
    if (!stopped) timer = setTimeout(loop, intervalMs);
  };
  loop();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      poll();
      return [...spans.values()];
    },
  };
}

/** Milliseconds a child was seen alive: from its first poll to the first poll without it. */
export const spanMs = (span: ChildSpan): number =>
  (span.endMs ?? span.lastSeenMs) - span.firstSeenMs;
