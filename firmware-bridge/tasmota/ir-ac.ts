import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { parseTasmotaTopic, topics } from '../../edge/broker/topics.js';
import { onOff, type SwitchChannel, type SwitchStatus } from '../../edge/room/switch.js';
import type { IrAcSchema } from './ir-ac.kind.js';
import { readTasmota } from './tasmota-reports.js';

type Config = Static<typeof IrAcSchema>;

/**
 * An air conditioner driven by infrared through a Tasmota IR blaster (`cmnd/<blaster>/IRhvac`, the
 * published JSON of Tasmota's IR build: Vendor, Power, Mode, Temp). Infrared has no reply: the
 * blaster's "Done" says it sent, not that the AC obeyed. So the AC is confirmed only by the power
 * it draws, from a metering plug it is plugged into (`tele/<meter>/SENSOR` ENERGY.Power); without
 * one it stays `unknown` with the reason, never shown as done (docs/room-control.md).
 */
export class IrAc extends BaseComponent {
  readonly kind = 'tasmota-ir-ac';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Config;
  #confirmed: boolean | undefined;
  #confirmedAt: number | undefined;
  #commanded: boolean | undefined;
  #lastError: string | undefined;
  #powerW: number | undefined;
  #waiting: { on: boolean; resolve: () => void; timer: NodeJS.Timeout } | undefined;
  #unsubscribe: (() => void)[] = [];
  readonly #c = { sent: 0, blasterDone: 0, meterReports: 0, confirmed: 0, timeouts: 0 };

  constructor(ctx: ComponentContext, cfg: Config) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  switches(): SwitchChannel[] {
    return [{ id: this.#cfg.id, status: () => this.#status(), set: (on) => this.#set(on) }];
  }

  async start(): Promise<void> {
    this.setState('starting');
    const { blaster, meter } = this.#cfg;
    this.#unsubscribe.push(
      this.#ctx.localMqtt.subscribe(`stat/${blaster}/RESULT`, (_t, payload) => {
        if (/"IRHVAC"\s*:\s*"Done"/.test(payload.toString('utf8'))) this.#c.blasterDone++;
      }),
    );
    if (meter !== undefined) {
      for (const prefix of ['tele', 'stat'])
        this.#unsubscribe.push(
          this.#ctx.localMqtt.subscribe(`${prefix}/${meter}/+`, (topic, payload) => this.#onMeter(topic, payload)),
        );
      // Ask the plug for its power now (answered on stat/<meter>/STATUS10 with ENERGY).
      this.#ctx.localMqtt.publish(topics.tasmotaCommand(meter, 'STATUS'), '10');
      this.#lastError = `no power reading from ${meter} yet`;
    } else this.#lastError = 'sent by infrared, which cannot answer: add a metering plug (meter) to confirm';
    this.#update();
  }

  async stop(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.#settle();
    this.setState('stopped');
  }

  #set(on: boolean): Promise<SwitchStatus> {
    this.#settle();
    this.#commanded = on;
    const c = this.#cfg;
    const body = on
      ? { Vendor: c.vendor, Power: 'On', Mode: c.mode, Temp: c.temperatureC, Celsius: 'On' }
      : { Vendor: c.vendor, Power: 'Off' };
    this.#ctx.localMqtt.publish(topics.tasmotaCommand(c.blaster, 'IRhvac'), JSON.stringify(body));
    this.#c.sent++;
    if (c.meter === undefined) {
      this.#unknown('sent by infrared, which cannot answer: add a metering plug (meter) to confirm');
      return Promise.resolve(this.#status());
    }
    if (this.#powerW !== undefined && this.#powerW > c.onAboveW === on && this.#confirmed === on)
      return Promise.resolve(this.#status());
    this.#unknown(`sent by infrared; waiting for ${c.meter} to show the AC ${onOff(on)}`);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#c.timeouts++;
        this.#unknown(
          `${c.meter} showed no change within ${Math.round(c.confirmTimeoutMs / 1000)} s after the IR command`,
        );
        this.#settle();
      }, c.confirmTimeoutMs);
      this.#waiting = { on, resolve: () => resolve(this.#status()), timer };
    });
  }

  #settle(): void {
    const w = this.#waiting;
    if (!w) return;
    clearTimeout(w.timer);
    this.#waiting = undefined;
    w.resolve();
  }

  #onMeter(topic: string, payload: Buffer): void {
    const t = parseTasmotaTopic(topic);
    if (!t.ok || t.deviceId !== this.#cfg.meter) return;
    let r = readTasmota(t.prefix, t.key, payload);
    // A STATUS 10 answer nests ENERGY one level down: {"StatusSNS":{"ENERGY":{...}}}.
    if (r.powerW === undefined && t.key === 'STATUS10') {
      try {
        const sns = (JSON.parse(payload.toString('utf8')) as { StatusSNS?: unknown }).StatusSNS;
        if (sns !== undefined) r = readTasmota('tele', 'SENSOR', Buffer.from(JSON.stringify(sns)));
      } catch {
        return;
      }
    }
    if (r.online === false) {
      this.#powerW = undefined;
      this.#unknown(`${this.#cfg.meter} is offline (its last will)`);
      return;
    }
    if (r.powerW === undefined) return;
    this.#c.meterReports++;
    this.#powerW = r.powerW;
    const running = r.powerW > this.#cfg.onAboveW;
    const w = this.#waiting;
    if (w && running !== w.on) return; // the compressor has not started (or stopped) yet
    if (!w && this.#commanded !== undefined && this.#confirmed !== this.#commanded && running !== this.#commanded)
      return; // a command the AC did not follow stays unconfirmed: not taken for the remote's doing
    const changed = this.#confirmed !== running || this.#lastError !== undefined;
    this.#confirmed = running;
    this.#confirmedAt = Date.now();
    this.#lastError = undefined;
    if (w) {
      this.#c.confirmed++;
      this.#settle();
    } else if (this.#commanded !== undefined && this.#commanded !== running) {
      // Confirmed before and now otherwise: switched with its own remote, and that is the state now.
      this.#commanded = running;
    }
    if (changed) this.#ctx.bus.safeEmit('switch.state', this.#status());
    this.#update();
  }

  #unknown(reason: string): void {
    const changed = this.#confirmed !== undefined || this.#lastError !== reason;
    this.#confirmed = undefined;
    this.#lastError = reason;
    if (changed) this.#ctx.bus.safeEmit('switch.state', this.#status());
    this.#update();
  }

  #update(): void {
    if (this.#confirmed !== undefined) this.setState('running');
    else this.setState('degraded', `${this.#cfg.id}: ${this.#lastError ?? 'unconfirmed'}`);
  }

  #status(): SwitchStatus {
    return {
      id: this.#cfg.id,
      state: this.#confirmed === undefined ? 'unknown' : onOff(this.#confirmed),
      ...(this.#commanded !== undefined && this.#commanded !== this.#confirmed
        ? { pending: onOff(this.#commanded) }
        : {}),
      ...(this.#confirmedAt !== undefined ? { confirmedAt: this.#confirmedAt } : {}),
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
      via: `IR blaster ${this.#cfg.blaster} (Tasmota IRhvac ${this.#cfg.vendor})${this.#cfg.meter ? `, confirmed by the power of ${this.#cfg.meter}` : ''}`,
    };
  }
}
