import { mkdirSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import { openPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { DisplaySim } from './display-sim.js';
import type { DisplaySimSchema } from './display-sim.kind.js';

/** Demo and test rig: a simulated panel at the far end of a socat RS-232 cable. */
export class DisplaySimComponent extends BaseComponent {
  readonly kind = 'display-sim';
  readonly name: string;
  readonly #cfg: Static<typeof DisplaySimSchema>;
  #pty: PtyPair | undefined;
  sim: DisplaySim | undefined;

  constructor(cfg: Static<typeof DisplaySimSchema>) {
    super();
    this.name = cfg.name;
    this.#cfg = cfg;
  }

  async start(): Promise<void> {
    mkdirSync(this.#cfg.ptyDir, { recursive: true });
    this.#pty = await openPtyPair(this.#cfg.ptyDir);
    this.sim = new DisplaySim(this.#cfg.family);
    await this.sim.listenSerial(this.#pty.b);
    this.setState('running');
  }

  async stop(): Promise<void> {
    await this.sim?.close();
    await this.#pty?.close();
    this.sim = undefined;
    this.#pty = undefined;
    this.setState('stopped');
  }
}
