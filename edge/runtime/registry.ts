import type { Component, ComponentStatus, TypedEmitter } from './component.js';
import type { Capability } from './capabilities.js';
import type { LiveEvents } from '../messages.js';
import type { Logger } from '../log.js';
import { errorMessage } from '../errors.js';

/** The live event for a status: its counters stay out (they change too often to broadcast). */
export function componentStateEvent(s: ComponentStatus): LiveEvents['component.state'] {
  return {
    name: s.name,
    kind: s.kind,
    state: s.state,
    ...(s.detail !== undefined ? { detail: s.detail } : {}),
    ...(s.progress !== undefined ? { progress: s.progress } : {}),
  };
}

interface Entry {
  component: Component;
  /** A core component that fails to start stops the appliance; an optional one is marked failed. */
  core: boolean;
  provides: Capability<unknown> | undefined;
  failed?: string;
}

/**
 * The one list of running components. Starts them in order, stops them in reverse within a time
 * bound, and reports every state change on the live bus.
 */
export class ComponentRegistry {
  readonly #entries: Entry[] = [];
  readonly #log: Logger;
  readonly #bus: TypedEmitter<LiveEvents>;

  constructor(o: { log: Logger; bus: TypedEmitter<LiveEvents> }) {
    this.#log = o.log;
    this.#bus = o.bus;
  }

  /** `provides`: the capability the component's kind declares (its `create` was checked to return one). */
  add<P>(component: Component & P, opts: { core: boolean; provides?: Capability<P> | undefined }): void {
    if (this.#entries.some((e) => e.component.name === component.name))
      throw new Error(`two components named '${component.name}'`);
    this.#entries.push({ component, core: opts.core, provides: opts.provides });
    const watch = (component as { watchState?: (fn: (s: ComponentStatus) => void) => void }).watchState;
    watch?.call(component, (s) => this.#bus.safeEmit('component.state', componentStateEvent(s)));
  }

  get<T extends Component>(name: string): T | undefined {
    return this.#entries.find((e) => e.component.name === name)?.component as T | undefined;
  }

  /** Every component that provides `capability`, in start order, typed as what it provides. */
  find<T>(capability: Capability<T>): (Component & T)[] {
    return this.#entries.filter((e) => e.provides === capability).map((e) => e.component as Component & T);
  }

  all(): Component[] {
    return this.#entries.map((e) => e.component);
  }

  /** The core components: while one of them is failed or stopped the appliance is not healthy (the watchdog's view). */
  core(): Component[] {
    return this.#entries.filter((e) => e.core).map((e) => e.component);
  }

  statuses(): ComponentStatus[] {
    return this.#entries.map((e) => ({
      ...e.component.status(),
      core: e.core,
      ...(e.failed !== undefined ? { state: 'failed' as const, detail: e.failed } : {}),
    }));
  }

  async startAll(signal: AbortSignal): Promise<void> {
    for (const e of this.#entries) {
      if (signal.aborted) return;
      try {
        await e.component.start(signal);
      } catch (err) {
        // A start the shutdown cut short is no failure of the component: the stop that aborted it follows.
        if (signal.aborted) {
          this.#log.info({ component: e.component.name }, 'start ended by the shutdown');
          return;
        }
        if (e.core) throw new Error(`${e.component.name} did not start: ${errorMessage(err)}`, { cause: err });
        e.failed = errorMessage(err);
        this.#log.error(
          { component: e.component.name, err: e.failed },
          'component failed to start; the appliance runs without it',
        );
        this.#bus.safeEmit('component.state', {
          name: e.component.name,
          kind: e.component.kind,
          state: 'failed',
          detail: e.failed,
        });
      }
    }
  }

  /**
   * Stop everything in reverse order within `timeoutMs` in all. Each component gets an equal share
   * of the time left before the next one is asked to stop; one that takes longer is not waited for
   * there (a hung driver must not keep the broker, the HTTP server or a simulator's socat running),
   * but it keeps the rest of the time to finish once the others are stopped (the analysis ends an
   * inference before its threads may go). Resolves true when every component stopped in time.
   */
  async stopAll(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    const order = [...this.#entries].reverse();
    const late: { name: string; done: Promise<void> }[] = [];
    for (const [i, e] of order.entries()) {
      const done = e.component.stop().catch((err: unknown) => {
        this.#log.warn({ component: e.component.name, err: errorMessage(err) }, 'component failed to stop cleanly');
      });
      const share = Math.max(0, (deadline - Date.now()) / (order.length - i));
      if (!(await settlesWithin(done, share))) {
        this.#log.warn(
          { component: e.component.name, waitedMs: Math.round(share) },
          'component is slow to stop; stopping the rest first',
        );
        late.push({ name: e.component.name, done });
      }
    }
    const left: string[] = [];
    for (const l of late) {
      if (await settlesWithin(l.done, deadline - Date.now())) continue;
      left.push(l.name);
      this.#log.warn({ component: l.name }, 'component did not stop in time');
    }
    if (left.length > 0)
      this.#log.warn(
        { left, stopped: order.length - left.length },
        'shutdown bound reached: every other component stopped',
      );
    return left.length === 0;
  }
}

/** Whether `p` settles within `ms` (the timer does not outlive the answer). */
async function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    p.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(0, ms)))),
  ]);
  clearTimeout(timer);
  return !timedOut;
}
