/**
 * At most `maxRunning` login hashes at once, and at most `maxQueued` waiting: each scrypt at the
 * people's cost takes 128 MiB and most of a core, and runs on libuv's small thread pool that file
 * I/O shares. Without a gate, wrong logins from many addresses at once would queue without bound
 * and starve the rest of the appliance; with it, the surplus is refused at once (429).
 */
export class HashGate {
  readonly #maxRunning: number;
  readonly #maxQueued: number;
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(o: { maxRunning: number; maxQueued: number }) {
    this.#maxRunning = o.maxRunning;
    this.#maxQueued = o.maxQueued;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** A slot (resolves with its release), or undefined at once when the queue is full. */
  enter(): Promise<() => void> | undefined {
    if (this.#running < this.#maxRunning) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.#maxQueued) return undefined;
    return new Promise((resolve) => this.#waiting.push(() => resolve(this.#releaser())));
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.#running--;
    };
  }
}
