import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import type { TasmotaSimSchema } from './tasmota-sim.kind.js';
import { TasmotaDevice } from './tasmota-device.js';

/** Demo and test rig: a simulated Tasmota Wi-Fi switch connected to the real broker with its own credentials. */
export class TasmotaSim extends BaseComponent {
  readonly kind = 'tasmota-sim';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: Static<typeof TasmotaSimSchema>;
  device: TasmotaDevice | undefined;

  constructor(ctx: ComponentContext, cfg: Static<typeof TasmotaSimSchema>) {
    super();
    this.#ctx = ctx;
    this.#cfg = cfg;
    this.name = cfg.name;
  }

  protected override counters(): Record<string, number> {
    return { commands: this.device?.commands.length ?? 0 };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const password = await this.#ctx.issueSimulatedDeviceSecret(this.#cfg.deviceId, 'switch');
    this.device = new TasmotaDevice({
      address: this.#ctx.deviceBroker(),
      topic: this.#cfg.deviceId,
      password,
      channels: this.#cfg.channels,
      telePeriodMs: this.#cfg.telePeriodMs,
    });
    if (await this.device.start()) this.setState('running');
    else this.setState('degraded', 'broker did not answer within 5 s');
  }

  async stop(): Promise<void> {
    await this.device?.stop();
    this.device = undefined;
    this.setState('stopped');
  }
}
