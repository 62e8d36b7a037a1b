import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import type { COMPONENT_STATES } from '../messages.js';

/** Life-cycle state every component reports; shown in health, doctor and on the kiosk. */
export type ComponentState = (typeof COMPONENT_STATES)[number];

export interface ComponentStatus {
  name: string;
  kind: string;
  state: ComponentState;
  /** Short human-readable detail: what is wrong when degraded or failed. */
  detail?: string;
  /** How far a long preparation has come (0-100), while `starting`: the media worker's build. */
  progress?: number;
  /** Set by the registry: the appliance cannot serve without this component. */
  core?: boolean;
  /** Component-specific counters (messages, errors, reconnects...). No personal data. */
  counters?: Record<string, number>;
}

/**
 * The one contract for drivers, analysers, sync agents and media servers.
 * The constructor does nothing observable; `start` acquires resources and resolves when the
 * component is usable; `stop` is idempotent and releases everything `start` acquired.
 */
export interface Component {
  readonly name: string;
  readonly kind: string;
  /**
   * `signal` is aborted when the appliance stops while starts are still under way. A start that
   * can wait long (a serial open, a broker connection, a listening socket, a worker being built)
   * ends that wait and rejects with `signal.reason`; `stop()` follows and releases what was
   * acquired. A start that never waits may leave the parameter out.
   */
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  status(): ComponentStatus;
}

/**
 * A typed event emitter whose `safeEmit` logs a throwing listener instead of letting it
 * crash the emitter's caller (zigbee2mqtt's event-bus lesson).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown }> {
  readonly #ee = new EventEmitter();
  readonly #log: Logger | undefined;

  constructor(log?: Logger) {
    this.#log = log;
    this.#ee.setMaxListeners(100);
  }

  on<K extends keyof Events & string>(event: K, listener: (payload: Events[K]) => void): () => void {
    this.#ee.on(event, listener);
    return () => this.#ee.off(event, listener);
  }

  safeEmit<K extends keyof Events & string>(event: K, payload: Events[K]): void {
    for (const listener of this.#ee.listeners(event)) {
      try {
        (listener as (p: Events[K]) => void)(payload);
      } catch (err) {
        this.#log?.error({ err, event }, 'event listener threw; event delivery continues');
      }
    }
  }

  listenerCount(event: keyof Events & string): number {
    return this.#ee.listenerCount(event);
  }
}

/** Helper base: holds state and detail so components only call `setState`. */
export abstract class BaseComponent implements Component {
  abstract readonly name: string;
  abstract readonly kind: string;
  protected state: ComponentState = 'stopped';
  protected detail: string | undefined;
  protected progress: number | undefined;
  protected onStateChange: ((status: ComponentStatus) => void) | undefined;

  abstract start(signal: AbortSignal): Promise<void>;
  abstract stop(): Promise<void>;

  watchState(fn: (status: ComponentStatus) => void): void {
    this.onStateChange = fn;
  }

  protected setState(state: ComponentState, detail?: string, progress?: number): void {
    const changed = state !== this.state || detail !== this.detail || progress !== this.progress;
    this.state = state;
    this.detail = detail;
    this.progress = progress;
    if (changed) this.onStateChange?.(this.status());
  }

  protected counters(): Record<string, number> | undefined {
    return undefined;
  }

  #timerErrors = 0;

  /**
   * setInterval for a component's periodic work, whose exception cannot end the process (a timer
   * runs outside every caller: a full disk under an audit write used to exit the appliance). The
   * error is counted (`timerErrors`) and given to onError; the timer keeps running. Unref'd.
   */
  protected every(ms: number, fn: () => void, onError: (err: unknown) => void): NodeJS.Timeout {
    const timer = setInterval(() => {
      try {
        fn();
      } catch (err) {
        this.#timerErrors++;
        try {
          onError(err);
        } catch {
          // Reporting the failure must not become a second way to end the process.
        }
      }
    }, ms);
    timer.unref();
    return timer;
  }

  status(): ComponentStatus {
    const s: ComponentStatus = { name: this.name, kind: this.kind, state: this.state };
    if (this.detail !== undefined) s.detail = this.detail;
    if (this.progress !== undefined) s.progress = this.progress;
    const c = this.counters();
    if (c !== undefined || this.#timerErrors > 0)
      s.counters = { ...c, ...(this.#timerErrors > 0 ? { timerErrors: this.#timerErrors } : {}) };
    return s;
  }
}
