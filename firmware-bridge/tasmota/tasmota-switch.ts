import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { parseTasmotaTopic, topics } from '../../edge/broker/topics.js';
import { onOff, type SwitchChannel, type SwitchStatus } from '../../edge/room/switch.js';
import type { TasmotaSwitchSchema } from './tasmota-switch.kind.js';
import { readTasmota, type TasmotaReport } from './tasmota-reports.js';

type Config = Static<typeof TasmotaSwitchSchema>;

interface Outstanding {
  on: boolean;
  level?: number;
  resolve: () => void;
  timer: NodeJS.Timeout;
}

interface Channel {
  readonly power: number;
  readonly id: string;
  readonly dimmer: boolean;
  confirmed: boolean | undefined;
  level: number | undefined;
  confirmedAt: number | undefined;
  commanded: boolean | undefined;
  commandedLevel: number | undefined;
  lastError: string | undefined;
  outstanding: Outstanding | undefined;
}

/**
 * A Wi-Fi switch or dimmer speaking Tasmota's MQTT convention, through the embedded broker: commands
 * on `cmnd/<device>/POWERn` (and `Dimmer`), confirmation only from what the device reports on
 * `stat/<device>/…` or `tele/<device>/STATE`. A command not confirmed within confirmTimeoutMs, a
 * report of the other state, or the device's last will (`tele/<device>/LWT` Offline) leaves the
 * switch `unknown`; unconfirmed commands are sent again every retryIntervalMs.
 *
 * A report nobody asked for while the switch was confirmed (someone pressed the switch's own
 * button) is taken as the new state: people in the room may switch their lights, and the room layer
 * sees it. While a command is unconfirmed, a report of the other state keeps it unknown.
 */
export class TasmotaSwitch extends BaseComponent {
  readonly kind = 'tasmota-switch';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Config;
  readonly #channels: Channel[];
  #online: boolean | undefined;
  #unsubscribe: (() => void)[] = [];
  #retry: NodeJS.Timeout | undefined;
  readonly #c = { commands: 0, reports: 0, confirmed: 0, timeouts: 0, mismatches: 0, resent: 0, queries: 0 };

  constructor(ctx: ComponentContext, cfg: Config) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
    this.#channels = cfg.channels.map((c) => ({
      power: c.power,
      id: c.id,
      dimmer: c.dimmer,
      confirmed: undefined,
      level: undefined,
      confirmedAt: undefined,
      commanded: undefined,
      commandedLevel: undefined,
      lastError: undefined,
      outstanding: undefined,
    }));
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  switches(): SwitchChannel[] {
    return this.#channels.map((ch) => ({
      id: ch.id,
      status: () => this.#status(ch),
      set: (on: boolean) => this.#command(ch, on, undefined),
      ...(ch.dimmer
        ? {
            setLevel: (percent: number) =>
              this.#command(ch, percent > 0, percent > 0 ? Math.min(100, Math.round(percent)) : undefined),
          }
        : {}),
    }));
  }

  async start(): Promise<void> {
    this.setState('starting');
    const dev = this.#cfg.device;
    for (const prefix of ['stat', 'tele'])
      this.#unsubscribe.push(
        this.#ctx.localMqtt.subscribe(`${prefix}/${dev}/+`, (topic, payload) => this.#onMessage(topic, payload)),
      );
    this.#retry = setInterval(() => this.#resend(), this.#cfg.retryIntervalMs);
    this.#query();
    this.#updateState();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    clearInterval(this.#retry);
    for (const ch of this.#channels) this.#settle(ch);
    this.setState('stopped');
  }

  #send(command: string, payload: string): void {
    this.#ctx.localMqtt.publish(topics.tasmotaCommand(this.#cfg.device, command), payload);
  }

  /** Ask the device for its whole state (answered on stat/<device>/RESULT). */
  #query(): void {
    this.#c.queries++;
    this.#send('STATE', '');
  }

  #powerKey(ch: Channel): string {
    // A single-relay device is addressed and reports as plain POWER.
    return this.#channels.length === 1 && ch.power === 1 ? 'POWER' : `POWER${ch.power}`;
  }

  #publishCommand(ch: Channel): void {
    this.#c.commands++;
    if (ch.commandedLevel !== undefined && ch.commanded) this.#send('Dimmer', String(ch.commandedLevel));
    else this.#send(this.#powerKey(ch), ch.commanded ? 'ON' : 'OFF');
  }

  #command(ch: Channel, on: boolean, level: number | undefined): Promise<SwitchStatus> {
    this.#settle(ch);
    ch.commanded = on;
    ch.commandedLevel = level;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        if (ch.outstanding?.timer !== timer) return;
        this.#c.timeouts++;
        this.#unknown(ch, `no report from ${this.#cfg.device} within ${this.#cfg.confirmTimeoutMs} ms`);
        this.#settle(ch);
      }, this.#cfg.confirmTimeoutMs);
      ch.outstanding = {
        on,
        ...(level !== undefined ? { level } : {}),
        resolve: () => resolve(this.#status(ch)),
        timer,
      };
      this.#publishCommand(ch);
    });
  }

  #settle(ch: Channel): void {
    const o = ch.outstanding;
    if (!o) return;
    clearTimeout(o.timer);
    ch.outstanding = undefined;
    o.resolve();
  }

  #onMessage(topic: string, payload: Buffer): void {
    const t = parseTasmotaTopic(topic);
    if (!t.ok || t.deviceId !== this.#cfg.device) return;
    this.#c.reports++;
    this.#apply(readTasmota(t.prefix, t.key, payload));
  }

  #apply(r: TasmotaReport): void {
    if (r.online === false) {
      this.#online = false;
      for (const ch of this.#channels) this.#unknown(ch, `${this.#cfg.device} is offline (its last will)`);
      this.#updateState();
      return;
    }
    if (r.online === true) {
      this.#online = true;
      this.#query();
      this.#updateState();
      return;
    }
    this.#online = true;
    for (const ch of this.#channels) {
      const on = r.power.get(ch.power);
      const level = ch.dimmer ? r.dimmer : undefined;
      if (on === undefined && level === undefined) continue;
      const o = ch.outstanding;
      const reportedOn = on ?? ch.confirmed;
      if (o && reportedOn !== undefined && reportedOn !== o.on) {
        // The device says the other state while a command is out: only a later report can confirm.
        this.#c.mismatches++;
        this.#unknown(ch, `${this.#cfg.device} reported ${onOff(reportedOn)} after switching ${onOff(o.on)}`);
        this.#settle(ch);
        continue;
      }
      if (o && o.level !== undefined && level !== o.level) continue; // the dimmer's own report is still to come
      if (!o && ch.commanded !== undefined && ch.confirmed !== ch.commanded && reportedOn !== ch.commanded) {
        // A command not yet confirmed, and the device still says otherwise: it stays unknown and is sent again.
        if (reportedOn !== undefined)
          this.#unknown(ch, `${this.#cfg.device} reported ${onOff(reportedOn)} after switching ${onOff(ch.commanded)}`);
        continue;
      }
      const changed = ch.confirmed !== reportedOn || ch.level !== level || ch.lastError !== undefined;
      ch.confirmed = reportedOn;
      if (level !== undefined) ch.level = level;
      ch.confirmedAt = Date.now();
      ch.lastError = undefined;
      if (o) {
        this.#c.confirmed++;
        this.#settle(ch);
      } else if (reportedOn !== undefined && ch.commanded !== undefined && ch.commanded !== reportedOn) {
        // Switched at the device itself: that is the state now, not a command to undo.
        ch.commanded = reportedOn;
        ch.commandedLevel = undefined;
      }
      if (changed) this.#ctx.bus.safeEmit('switch.state', this.#status(ch));
    }
    this.#updateState();
  }

  #unknown(ch: Channel, reason: string): void {
    const changed = ch.confirmed !== undefined || ch.lastError !== reason;
    ch.confirmed = undefined;
    ch.lastError = reason;
    if (changed) this.#ctx.bus.safeEmit('switch.state', this.#status(ch));
    this.#updateState();
  }

  /** Every retry interval: commands not yet confirmed go again; a device we know nothing of is asked. */
  #resend(): void {
    let ask = false;
    for (const ch of this.#channels) {
      if (ch.outstanding) continue;
      if (ch.commanded !== undefined && ch.confirmed !== ch.commanded) {
        this.#c.resent++;
        this.#publishCommand(ch);
      } else if (ch.confirmed === undefined) ask = true;
    }
    if (ask) this.#query();
  }

  #updateState(): void {
    const unknown = this.#channels.filter((c) => c.confirmed === undefined);
    if (this.#online === false) this.setState('degraded', `${this.#cfg.device} is offline`);
    else if (unknown.length === 0) this.setState('running');
    else
      this.setState(
        'degraded',
        `${unknown.length} of ${this.#channels.length} outputs unconfirmed: ${unknown.map((c) => `${c.id} (${c.lastError ?? 'no report yet'})`).join(', ')}`,
      );
  }

  #status(ch: Channel): SwitchStatus {
    return {
      id: ch.id,
      state: ch.confirmed === undefined ? 'unknown' : onOff(ch.confirmed),
      ...(ch.commanded !== undefined && ch.commanded !== ch.confirmed ? { pending: onOff(ch.commanded) } : {}),
      ...(ch.confirmedAt !== undefined ? { confirmedAt: ch.confirmedAt } : {}),
      ...(ch.lastError !== undefined ? { lastError: ch.lastError } : {}),
      ...(ch.level !== undefined ? { level: ch.level } : {}),
      via: `MQTT switch ${this.#cfg.device} (Tasmota), ${this.#powerKey(ch)}`,
    };
  }
}
