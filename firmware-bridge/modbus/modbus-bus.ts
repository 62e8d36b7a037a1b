import type { SerialPort } from 'serialport';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { metricsToRows } from '../../edge/ingest/metrics-to-rows.js';
import { DeviceError, errorMessage, ProtocolError } from '../../edge/errors.js';
import { SerialWriteTimeout } from '../serial/serial-link.js';
import { ReopeningPort, REOPEN_MAX_MS } from '../serial/reopening-port.js';
import { RtuMaster, ModbusException, ModbusTimeout, LineNotQuietError } from './rtu-master.js';
import { decodePoints, loadProfiles, planReads, type Profile, type ReadBlock } from './profile.js';
import type { ModbusRequest, ModbusResponse, ReadFn } from './codec.js';
import { loadRelayProfiles } from '../relay/profile.js';
import { RelayBoard } from '../relay/relay-board.js';
import type { SwitchChannel } from '../../edge/room/switch.js';
import type { ModbusBusSchema } from './modbus-bus.kind.js';
import { monoNow } from '../../edge/clock.js';

type BusConfig = Static<typeof ModbusBusSchema>;

/** A relay board in the bus's turn: read back every poll interval, like a sensor. */
interface BoardState {
  board: RelayBoard;
  failures: number;
  online: boolean | undefined;
  nextAt: number;
  lastError: string | undefined;
}

interface SlaveState {
  address: number;
  id: string;
  profile: Profile;
  blocks: ReadBlock[];
  failures: number;
  online: boolean | undefined;
  nextAt: number;
  lastError: string | undefined;
}

/**
 * One RS-485 bus: polls its sensors in turn, one request at a time, with retries and backoff. A
 * sensor that stops answering is marked offline and tried less often, and comes back by itself. A
 * port that disappears (adapter unplugged) is reopened with backoff; other buses are unaffected.
 */
export class ModbusBus extends BaseComponent {
  readonly kind = 'modbus-bus';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: BusConfig;
  readonly #slaves: SlaveState[];
  readonly #boards: BoardState[];
  readonly #link: ReopeningPort;
  #master: RtuMaster | undefined;
  #running = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  /** A fault of the line itself (never quiet), not of one sensor: shown until a poll succeeds. */
  #lineError: string | undefined;
  readonly #c = {
    polls: 0,
    ok: 0,
    timeouts: 0,
    protocolErrors: 0,
    exceptions: 0,
    retries: 0,
    rejectedValues: 0,
    offline: 0,
    lineNotQuiet: 0,
    writeTimeouts: 0,
  };

  constructor(ctx: ComponentContext, cfg: BusConfig) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    const profiles = loadProfiles();
    this.#slaves = cfg.devices.map((d) => {
      const profile = profiles.get(d.profile);
      if (!profile) throw new Error(`no Modbus profile '${d.profile}'`);
      return {
        address: d.address,
        id: d.id ?? `${cfg.name}-${d.address}`,
        profile,
        blocks: planReads(profile),
        failures: 0,
        online: undefined,
        nextAt: 0,
        lastError: undefined,
      };
    });
    const relayProfiles = loadRelayProfiles();
    this.#boards = cfg.relays.map((r) => {
      const profile = relayProfiles.get(r.board);
      if (!profile) throw new Error(`no relay board profile '${r.board}'`);
      const id = r.id ?? `${cfg.name}-${r.address}`;
      return {
        board: new RelayBoard({
          id,
          address: r.address,
          profile,
          channels: r.channels,
          bus: `Modbus bus ${cfg.name}`,
          exchange: (req) => this.#exchange(req),
          changed: (status) => this.#ctx.bus.safeEmit('switch.state', status),
        }),
        failures: 0,
        online: undefined,
        nextAt: 0,
        lastError: undefined,
      };
    });
    if (this.#slaves.length + this.#boards.length === 0)
      throw new Error(`Modbus bus ${cfg.name}: no devices and no relays configured`);
    this.#link = new ReopeningPort(
      { path: cfg.port, baudRate: cfg.baudRate, parity: cfg.parity },
      { opened: (port) => this.#opened(port), lost: (reason) => this.#lost(reason) },
    );
  }

  protected override counters(): Record<string, number> {
    const relay = (k: keyof RelayBoard['tally']): number => this.#boards.reduce((n, b) => n + b.board.tally[k], 0);
    return {
      ...this.#c,
      relayWrites: relay('writes'),
      relayMismatches: relay('mismatches'),
      relayRewrites: relay('rewrites'),
      reopens: this.#link.reopens,
      offline: [...this.#slaves, ...this.#boards].filter((s) => s.online === false).length,
    };
  }

  /** The relays of the bus's boards, for the room layer. */
  switches(): SwitchChannel[] {
    return this.#boards.flatMap((b) => b.board.channels());
  }

  /** Per-sensor (and per relay board) state, for the admin console and doctor. */
  slaves(): {
    address: number;
    id: string;
    profile: string;
    online: boolean | undefined;
    lastError: string | undefined;
  }[] {
    return [
      ...this.#slaves.map((s) => ({
        address: s.address,
        id: s.id,
        profile: s.profile.id,
        online: s.online,
        lastError: s.lastError,
      })),
      ...this.#boards.map((b) => ({
        address: b.board.address,
        id: b.board.id,
        profile: b.board.profile.id,
        online: b.online,
        lastError: b.lastError,
      })),
    ];
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.setState('starting');
    this.#running = true;
    await this.#link.open(signal);
    this.#loop = this.#run();
  }

  #opened(port: SerialPort): void {
    this.#master = new RtuMaster({
      port,
      baudRate: this.#cfg.baudRate,
      responseTimeoutMs: this.#cfg.responseTimeoutMs,
      usbLatencyMs: this.#cfg.usbLatencyMs,
      writeTimeoutMs: this.#cfg.writeTimeoutMs,
      ...(this.#cfg.lineQuietTimeoutMs !== undefined ? { lineQuietTimeoutMs: this.#cfg.lineQuietTimeoutMs } : {}),
      label: `Modbus bus ${this.name} (${this.#cfg.port})`,
      onFrame: (f) => this.#ctx.bus.safeEmit('modbus.frame', { bus: this.name, ...f }),
    });
    this.#updateState();
    this.#wake?.();
  }

  /** The port is gone (adapter unplugged, a write that never left): the shared ReopeningPort brings it back. */
  #lost(reason: string): void {
    this.#ctx.log.warn({ port: this.#cfg.port, reason }, 'Modbus serial port lost');
    this.#master?.close();
    this.#master = undefined;
    this.#lineError = undefined;
    this.setState('degraded', reason);
    this.#wake?.();
  }

  #updateState(): void {
    const off = [
      ...this.#slaves.map((s) => ({ id: s.id, online: s.online, lastError: s.lastError })),
      ...this.#boards.map((b) => ({ id: b.board.id, online: b.online, lastError: b.lastError })),
    ].filter((s) => s.online === false);
    if (!this.#master) return;
    if (this.#lineError) this.setState('degraded', this.#lineError);
    else if (off.length === 0) this.setState('running');
    else
      this.setState(
        'degraded',
        `${off.length} of ${this.#slaves.length + this.#boards.length} devices offline: ${off.map((s) => `${s.id} (${s.lastError ?? '?'})`).join(', ')}`,
      );
  }

  async #sleep(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (!this.#master) {
        // Woken when the port is back.
        await this.#sleep(REOPEN_MAX_MS);
        continue;
      }
      const next = [...this.#slaves, ...this.#boards].reduce((a, b) => (b.nextAt < a.nextAt ? b : a));
      const wait = next.nextAt - monoNow();
      if (wait > 0) {
        await this.#sleep(wait);
        continue;
      }
      if ('board' in next) await this.#pollBoard(next);
      else await this.#poll(next);
    }
  }

  /** Read every block of one sensor; a block is retried with backoff before the poll counts as failed. */
  async #poll(s: SlaveState): Promise<void> {
    const master = this.#master;
    if (!master) return;
    this.#c.polls++;
    const regs = new Map<string, number>();
    try {
      for (const b of s.blocks) {
        const res = await this.#withRetries(() =>
          master.request({ fn: b.fn, address: s.address, start: b.start, count: b.count }),
        );
        const values = res.kind === 'registers' ? res.values : [];
        values.forEach((v, i) => regs.set(`${b.fn}:${b.start + i}`, v));
      }
    } catch (err) {
      if (err instanceof LineNotQuietError) {
        this.#lineNotQuiet(s, err);
        return;
      }
      if (err instanceof SerialWriteTimeout) {
        this.#writeTimedOut(err);
        return;
      }
      this.#failed(s, err);
      return;
    }
    this.#c.ok++;
    if (this.#lineError) {
      this.#lineError = undefined;
      this.#ctx.log.info({ bus: this.name }, 'the line is quiet again; polling resumed');
      this.#updateState();
    }
    const now = Date.now();
    const metrics = decodePoints(s.profile, (fn: ReadFn, r: number) => regs.get(`${fn}:${r}`) ?? 0);
    const { rows, rejected } = metricsToRows(s.id, metrics, now, now);
    for (const r of rejected) {
      this.#c.rejectedValues++;
      this.#ctx.log.warn(
        { sensor: s.id, metric: r.metric, value: r.value, expected: r.expected },
        'implausible value from sensor; not stored',
      );
    }
    s.failures = 0;
    s.lastError = undefined;
    if (s.online !== true) {
      s.online = true;
      this.#ctx.bus.safeEmit('device.connection', { deviceId: s.id, connected: true });
      this.#updateState();
    }
    s.nextAt = monoNow() + this.#cfg.pollIntervalMs;
    if (rows.length > 0) {
      try {
        // Polled: nobody waits for an acknowledgement (the promise is store.polledSyncMaxMs).
        await this.#ctx.readings.submitAsync(rows, 'polled');
      } catch (err) {
        this.#ctx.log.error({ err: errorMessage(err) }, 'could not store Modbus readings');
      }
    }
  }

  /** One request for a relay board, with the bus's retries; fails at once while the port is gone. */
  async #exchange(req: ModbusRequest): Promise<ModbusResponse> {
    const master = this.#master;
    if (!master) throw new DeviceError(`Modbus bus ${this.name}: the serial port ${this.#cfg.port} is not open`);
    return this.#withRetries(() => master.request(req));
  }

  /** Read a relay board back (and write the relays that differ from what they were told). */
  async #pollBoard(b: BoardState): Promise<void> {
    this.#c.polls++;
    try {
      await b.board.poll();
    } catch (err) {
      if (err instanceof LineNotQuietError) {
        this.#lineNotQuiet(b, err);
        return;
      }
      if (err instanceof SerialWriteTimeout) {
        this.#writeTimedOut(err);
        return;
      }
      this.#failed(b, err);
      return;
    }
    this.#c.ok++;
    b.failures = 0;
    b.lastError = undefined;
    if (b.online !== true) {
      b.online = true;
      this.#ctx.bus.safeEmit('device.connection', { deviceId: b.board.id, connected: true });
      this.#updateState();
    }
    b.nextAt = monoNow() + this.#cfg.pollIntervalMs;
  }

  async #withRetries<R extends ModbusResponse>(fn: () => Promise<R>): Promise<R> {
    let last: unknown;
    for (let attempt = 0; attempt <= this.#cfg.retries; attempt++) {
      if (attempt > 0) {
        this.#c.retries++;
        // Not #sleep: a room command retries outside the poll loop, and the loop's wake-up must stay its own.
        await new Promise((r) => setTimeout(r, 50 * 2 ** (attempt - 1)));
        if (!this.#master) break;
      }
      try {
        return await fn();
      } catch (err) {
        last = err;
        if (err instanceof ModbusTimeout) this.#c.timeouts++;
        else if (err instanceof ProtocolError) this.#c.protocolErrors++;
        else if (err instanceof ModbusException) {
          this.#c.exceptions++;
          break; // the slave answered clearly; asking again changes nothing
        } else break;
      }
    }
    throw last;
  }

  /**
   * Noise on the line says nothing about this sensor: the bus reports it, and the sensor keeps its
   * turn so the others are polled too (each poll waits at most lineQuietTimeoutMs).
   */
  #lineNotQuiet(s: SlaveState | BoardState, err: LineNotQuietError): void {
    this.#c.lineNotQuiet++;
    if (this.#lineError !== err.message)
      this.#ctx.log.warn({ bus: this.name, err: err.message }, 'Modbus line never quiet');
    this.#lineError = err.message;
    this.#updateState();
    s.nextAt = monoNow() + (s.online === false ? this.#cfg.offlinePollIntervalMs : this.#cfg.pollIntervalMs);
  }

  /** A request that never left the port: the port is unusable; close it and let the loop reopen it. */
  #writeTimedOut(err: SerialWriteTimeout): void {
    this.#c.writeTimeouts++;
    this.#ctx.log.warn({ bus: this.name, err: err.message }, 'Modbus write timed out; reopening the port');
    this.#link.giveUp(err.message);
  }

  #failed(s: SlaveState | BoardState, err: unknown): void {
    s.failures++;
    s.lastError = errorMessage(err);
    if (s.failures >= this.#cfg.offlineAfterFailures && s.online !== false) {
      s.online = false;
      const id = 'board' in s ? s.board.id : s.id;
      const address = 'board' in s ? s.board.address : s.address;
      this.#ctx.log.warn({ device: id, address, err: s.lastError }, 'device offline; polling it less often');
      this.#ctx.bus.safeEmit('device.connection', { deviceId: id, connected: false });
      this.#updateState();
    }
    s.nextAt = monoNow() + (s.online === false ? this.#cfg.offlinePollIntervalMs : this.#cfg.pollIntervalMs);
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    this.#master?.close();
    await this.#link.close();
    await this.#loop?.catch(() => undefined);
    this.#master = undefined;
    this.setState('stopped');
  }
}
