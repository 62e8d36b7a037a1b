import { mkdirSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { openPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { ModbusSlaveSim } from './modbus-slave-sim.js';
import type { ModbusSimSchema } from './modbus-sim.kind.js';

/** Demo and test rig: a socat cable with simulated RS-485 sensors on its far end. */
export class ModbusSimComponent extends BaseComponent {
  readonly kind = 'modbus-sim';
  readonly name: string;
  readonly #cfg: Static<typeof ModbusSimSchema>;
  #pty: PtyPair | undefined;
  sim: ModbusSlaveSim | undefined;

  constructor(_ctx: ComponentContext, cfg: Static<typeof ModbusSimSchema>) {
    super();
    this.name = cfg.name;
    this.#cfg = cfg;
  }

  protected override counters(): Record<string, number> {
    return { requests: this.sim?.requests ?? 0 };
  }

  async start(): Promise<void> {
    this.setState('starting');
    mkdirSync(this.#cfg.ptyDir, { recursive: true });
    this.#pty = await openPtyPair(this.#cfg.ptyDir);
    this.sim = new ModbusSlaveSim({
      path: this.#pty.b,
      baudRate: this.#cfg.baudRate,
      slaves: this.#cfg.slaves,
      relays: this.#cfg.relays,
      seed: this.#cfg.seed,
    });
    await this.sim.start();
    this.setState('running');
  }

  async stop(): Promise<void> {
    await this.sim?.stop();
    await this.#pty?.close();
    this.sim = undefined;
    this.#pty = undefined;
    this.setState('stopped');
  }
}
