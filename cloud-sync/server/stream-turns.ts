/**
 * Arrival order of one appliance's batches of one stream, inside one receiver instance. An appliance
 * sends a stream's next batch while the district commits the one before (edge/sync/agent.ts); both
 * requests are checked side by side, and this hands their database parts out in the order the
 * requests arrived, so that the second does not take the stream's row lock first and get refused as
 * a gap. Only an ordering hint: correctness rests on the row lock and the gap check in the
 * transaction (another instance, a lost turn, a wait that timed out all end in one of those), so a
 * turn waits at most `maxWaitMs` for the one before.
 */
export class StreamTurns {
  readonly #last = new Map<string, Promise<void>>();

  constructor(readonly maxWaitMs: number) {}

  /** A turn for `key`, queued behind the last one taken; `done()` must be called however it ends. */
  take(key: string): { ready: Promise<void>; done(): void } {
    const before = this.#last.get(key) ?? Promise.resolve();
    let done: () => void = () => undefined;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.#last.set(key, mine);
    let timer: NodeJS.Timeout | undefined;
    const ready = Promise.race([
      before,
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.maxWaitMs);
      }),
    ]).finally(() => clearTimeout(timer));
    return {
      ready,
      done: () => {
        clearTimeout(timer);
        done();
        // The map keeps one settled promise per stream at most, and none once the last turn is done.
        if (this.#last.get(key) === mine) this.#last.delete(key);
      },
    };
  }

  /** Streams with a turn outstanding (for tests: the map does not grow). */
  get size(): number {
    return this.#last.size;
  }
}
