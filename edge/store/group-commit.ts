/**
 * Group commit: items from many producers wait a moment to share one transaction, then every
 * producer is told the outcome. This is how a QoS 1 PUBACK can wait for a durable commit without
 * paying one fsync per message.
 */
export interface GroupCommitOptions<T> {
  /** Commit all items in one transaction; throw to fail every item of the batch. */
  commit(items: readonly T[]): void;
  maxDelayMs: number;
  maxItems: number;
}

type Done = (err: Error | null) => void;

export class GroupCommit<T> {
  readonly #opts: GroupCommitOptions<T>;
  #items: T[] = [];
  #waiters: Done[] = [];
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #closed = false;
  commits = 0;
  committedItems = 0;

  constructor(opts: GroupCommitOptions<T>) {
    this.#opts = opts;
  }

  /** Queue items; `done` runs after they are committed (null) or failed (Error). */
  add(items: readonly T[], done: Done): void {
    if (this.#closed) {
      done(new Error('store is closing'));
      return;
    }
    for (const it of items) this.#items.push(it);
    this.#waiters.push(done);
    if (this.#items.length >= this.#opts.maxItems) {
      this.flush();
    } else if (this.#timer === undefined) {
      this.#timer =
        this.#opts.maxDelayMs === 0
          ? setImmediate(() => this.flush())
          : setTimeout(() => this.flush(), this.#opts.maxDelayMs);
    }
  }

  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer as NodeJS.Timeout);
      clearImmediate(this.#timer as NodeJS.Immediate);
      this.#timer = undefined;
    }
    if (this.#waiters.length === 0) return;
    const items = this.#items;
    const waiters = this.#waiters;
    this.#items = [];
    this.#waiters = [];
    let error: Error | null = null;
    try {
      if (items.length > 0) this.#opts.commit(items);
      this.commits++;
      this.committedItems += items.length;
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
    }
    for (const w of waiters) w(error);
  }

  /** Commit what is queued and refuse more. Idempotent. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
