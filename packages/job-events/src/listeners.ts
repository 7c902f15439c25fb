import type { Logger } from '@conveyor/runtime/logger';

/**
 * Listeners by topic (a user id or a job id). Calls are synchronous and isolated: a listener
 * that throws is logged, and the others, and the stream loop that emits, go on.
 */
export class Listeners<Event> {
  private readonly byTopic = new Map<string, Set<(event: Event) => void>>();

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  get size(): number {
    return this.byTopic.size;
  }

  has(topic: string): boolean {
    return this.byTopic.has(topic);
  }

  /** Adds a listener; the returned function removes it (calling it twice is harmless). */
  add(topic: string, listener: (event: Event) => void): () => void {
    // A wrapper of our own, so one function subscribed twice is two subscriptions.
    const entry = (event: Event) => listener(event);
    let set = this.byTopic.get(topic);
    if (!set) {
      set = new Set();
      this.byTopic.set(topic, set);
    }
    set.add(entry);
    return () => {
      const current = this.byTopic.get(topic);
      if (!current?.delete(entry)) return;
      if (current.size === 0) this.byTopic.delete(topic);
    };
  }

  emit(topic: string, event: Event): void {
    const set = this.byTopic.get(topic);
    if (!set) return;
    // A copy: a listener may unsubscribe itself (or another) while we iterate.
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (error) {
        this.logger.error({ err: error, topic }, `${this.what} listener threw`);
      }
    }
  }

  clear(): void {
    this.byTopic.clear();
  }
}
