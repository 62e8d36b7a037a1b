import { DeviceError, errorMessage } from '../../edge/errors.js';
import type { ByteLink } from '../serial/link.js';
import type { PANEL_POWER } from '../../edge/messages.js';
import {
  commandKey,
  hex,
  type DisplayCommand,
  type DisplayProtocol,
  type DisplayReply,
  type Source,
} from './protocol.js';

export type Settable = 'power' | 'source' | 'volume' | 'mute' | 'brightness' | 'eyeCare';

/** What the panel has confirmed. `null` / 'unknown' until it answers; a command in flight is `pending`. */
export interface PanelState {
  power: (typeof PANEL_POWER)[number];
  source: Source | 'unknown';
  volume: number | null;
  mute: boolean | null;
  brightness: number | null;
  eyeCare: boolean | null;
  pending: Partial<Record<Settable, boolean | number | string>>;
  reachable: boolean;
  lastError?: string;
}

export const UNKNOWN_STATE: PanelState = {
  power: 'unknown',
  source: 'unknown',
  volume: null,
  mute: null,
  brightness: null,
  eyeCare: null,
  pending: {},
  reachable: false,
};

/** After this many failed commands in a row the panel is unreachable and its state unknown again. */
const UNREACHABLE_AFTER = 2;

export interface DriverOptions {
  protocol: DisplayProtocol;
  link: ByteLink;
  commandTimeoutMs: number;
  retries: number;
  onState?: (s: PanelState) => void;
  onFrame?: (dir: 'tx' | 'rx', hex: string, error?: string) => void;
}

/**
 * One panel: commands queued one at a time, each acknowledged or timed out and retried within
 * limits. Only acknowledged commands change the state people see; a command in flight shows as
 * pending. A panel that never answers stays 'unknown', never assumed 'on'.
 */
export class DisplayDriver {
  readonly #o: DriverOptions;
  #state: PanelState = structuredClone(UNKNOWN_STATE);
  #rx: Buffer = Buffer.alloc(0);
  #waiting: { key: string; resolve: (r: DisplayReply) => void } | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #failures = 0;
  readonly counters = { sent: 0, acked: 0, timeouts: 0, retries: 0, badFrames: 0 };

  constructor(o: DriverOptions) {
    this.#o = o;
    o.link.onData((chunk) => this.#onData(chunk));
  }

  get state(): PanelState {
    return structuredClone(this.#state);
  }

  #set(patch: Partial<PanelState>): void {
    this.#state = { ...this.#state, ...patch };
    this.#o.onState?.(this.state);
  }

  #onData(chunk: Buffer): void {
    this.#rx = this.#rx.length > 4096 ? chunk : Buffer.concat([this.#rx, chunk]);
    for (;;) {
      const r = this.#o.protocol.parse(this.#rx);
      if (r.consumed === 0) return;
      if (r.error) {
        this.counters.badFrames++;
        this.#o.onFrame?.('rx', hex(this.#rx.subarray(0, r.consumed)), r.error);
      }
      this.#rx = this.#rx.subarray(r.consumed);
      if (!r.reply) continue;
      this.#o.onFrame?.('rx', hex(r.reply.raw));
      if (this.#waiting && this.#waiting.key === r.reply.answers) {
        const w = this.#waiting;
        this.#waiting = undefined;
        w.resolve(r.reply);
      }
      // A reply nobody waits for (late, or to another controller) changes nothing.
    }
  }

  /** Queue a command; resolves with the confirmed state, rejects with DeviceError when it was not acknowledged. */
  send(cmd: DisplayCommand): Promise<PanelState> {
    // Pending from the moment it is asked for, so the panel shows it even while an earlier command runs.
    if (cmd.kind !== 'query') this.#set({ pending: { ...this.#state.pending, [cmd.kind]: valueOf(cmd) } });
    const run = this.#queue.then(() => this.#exchange(cmd));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #exchange(cmd: DisplayCommand): Promise<PanelState> {
    const field = cmd.kind === 'query' ? undefined : (cmd.kind as Settable);
    const key = commandKey(cmd);
    const frame = this.#o.protocol.encode(cmd);
    let lastErr: unknown;
    for (let attempt = 0; attempt <= this.#o.retries; attempt++) {
      if (attempt > 0) this.counters.retries++;
      this.#rx = Buffer.alloc(0);
      try {
        this.counters.sent++;
        this.#o.onFrame?.('tx', hex(frame));
        const reply = await new Promise<DisplayReply>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.#waiting = undefined;
            reject(new DeviceError(`panel did not acknowledge ${key} within ${this.#o.commandTimeoutMs} ms`));
          }, this.#o.commandTimeoutMs);
          this.#waiting = {
            key,
            resolve: (r) => {
              clearTimeout(timer);
              resolve(r);
            },
          };
          this.#o.link.write(frame).catch((err: unknown) => {
            clearTimeout(timer);
            this.#waiting = undefined;
            reject(err instanceof Error ? err : new Error(String(err)));
          });
        });
        if (!reply.ok) throw new DeviceError(`panel refused ${key}`);
        this.counters.acked++;
        this.#failures = 0;
        this.#apply(cmd, reply);
        return this.state;
      } catch (err) {
        lastErr = err;
        this.counters.timeouts++;
      }
    }
    this.#failures++;
    const pending = { ...this.#state.pending };
    if (field) delete pending[field];
    const lost = this.#failures >= UNREACHABLE_AFTER;
    this.#set({
      ...(lost ? { ...UNKNOWN_STATE } : {}),
      pending,
      reachable: lost ? false : this.#state.reachable,
      lastError: errorMessage(lastErr),
    });
    throw lastErr instanceof DeviceError ? lastErr : new DeviceError(errorMessage(lastErr));
  }

  #apply(cmd: DisplayCommand, reply: DisplayReply): void {
    const pending = { ...this.#state.pending };
    if (cmd.kind !== 'query') delete pending[cmd.kind as Settable];
    const patch: Partial<PanelState> = { pending, reachable: true };
    delete this.#state.lastError;
    switch (cmd.kind) {
      case 'power':
        patch.power = cmd.on ? 'on' : 'off';
        break;
      case 'source':
        patch.source = cmd.source;
        break;
      case 'volume':
        patch.volume = cmd.level;
        break;
      case 'mute':
        patch.mute = cmd.on;
        break;
      case 'brightness':
        patch.brightness = cmd.level;
        break;
      case 'eyeCare':
        patch.eyeCare = cmd.on;
        break;
      case 'query':
        if (cmd.what === 'power') patch.power = reply.value === 1 ? 'on' : 'off';
        else if (reply.value !== undefined) patch.volume = reply.value;
        break;
    }
    this.#set(patch);
  }
}

function valueOf(cmd: DisplayCommand): boolean | number | string {
  switch (cmd.kind) {
    case 'power':
    case 'mute':
    case 'eyeCare':
      return cmd.on;
    case 'source':
      return cmd.source;
    case 'volume':
    case 'brightness':
      return cmd.level;
    case 'query':
      return cmd.what;
  }
}
