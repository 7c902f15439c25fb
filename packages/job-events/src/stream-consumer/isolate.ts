/** SQLSTATE classes 22 (data exception) and 23 (integrity): the data is at fault, not the link. */
function isDataError(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^2[23]/.test(code)) return true;
  }
  return false;
}

export interface IsolationOptions<Item> {
  /** Writes items to PostgreSQL. */
  apply: (items: Item[]) => Promise<unknown>;
  /** Items of one group stand or fall together: a job's events, an owner's messages. */
  groupOf: (item: Item) => string;
  /** Told of each group the database refused; the group is then skipped. */
  onRefused: (items: Item[], error: unknown) => void;
}

/**
 * Applies a batch read from the job event streams; if the data of some group makes the
 * database refuse it, applies group by group and skips only the groups it refuses, so one bad
 * event cannot hold a stream reader up for good. Any other failure (the database away) is
 * thrown, and the batch stays pending.
 */
export async function applyIsolated<Item>(
  items: readonly Item[],
  options: IsolationOptions<Item>,
): Promise<void> {
  try {
    await options.apply([...items]);
    return;
  } catch (error) {
    if (!isDataError(error)) throw error;
  }
  const groups = new Map<string, Item[]>();
  for (const item of items) {
    const key = options.groupOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  for (const group of groups.values()) {
    try {
      await options.apply(group);
    } catch (error) {
      if (!isDataError(error)) throw error;
      options.onRefused(group, error);
    }
  }
}
