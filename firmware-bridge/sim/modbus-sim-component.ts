import { mkdirSync } from 'node:fs';
import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../../edge/runtime/component.js';
import type { ComponentContext } from '../../edge/runtime/context.js';
import { lessonsOn, localTime, toMinute } from '../../edge/config/timetable.js';
import { openPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { ModbusSlaveSim } from './modbus-slave-sim.js';
import { RoomModel } from './room-model.js';
import type { ModbusSimSchema } from './modbus-sim.kind.js';

type SimConfig = Static<typeof ModbusSimSchema>;

/** Demo and test rig: a socat cable with simulated RS-485 sensors (and relay boards) on its far end. */
export class ModbusSimComponent extends BaseComponent {
  readonly kind = 'modbus-sim';
  readonly name: string;
  readonly #ctx: ComponentContext;
  readonly #cfg: SimConfig;
  #pty: PtyPair | undefined;
  #roomTimer: NodeJS.Timeout | undefined;
  sim: ModbusSlaveSim | undefined;
  /** The room the sensors measure, when roomModel is configured. */
  room: RoomModel | undefined;

  constructor(ctx: ComponentContext, cfg: SimConfig) {
    super();
    this.#ctx = ctx;
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
    if (this.#cfg.roomModel) {
      this.room ??= new RoomModel({ unitM3h: this.#cfg.roomModel.unitM3h }, 600);
      this.#stepRoom();
      this.#roomTimer = this.every(
        1000,
        () => this.#stepRoom(),
        () => undefined,
      );
    }
    this.setState('running');
  }

  /** One second of the room: who is in it (the timetable's school day), what the relays do, what the sensors read. */
  #stepRoom(): void {
    const m = this.room;
    const rm = this.#cfg.roomModel;
    const sim = this.sim;
    if (!m || !rm || !sim) return;
    const { config } = this.#ctx;
    const now = Date.now();
    const t = localTime(now, config.appliance.timezone);
    const lessons = lessonsOn(config.timetable, t.date, t.weekday);
    const first = lessons[0];
    const last = lessons[lessons.length - 1];
    const inSchool =
      first !== undefined &&
      last !== undefined &&
      t.minute >= toMinute(first.start) - 10 &&
      t.minute < toMinute(last.end);
    const inLesson = lessons.some((l) => t.minute >= toMinute(l.start) && t.minute < toMinute(l.end));
    m.students = inSchool ? rm.students : 0;
    m.teachers = inLesson ? 1 : 0;
    const relay = (r: { board: number; relay: number }): boolean => sim.board(r.board)?.relays[r.relay - 1] === true;
    m.fanOn = rm.freshAir.some(relay);
    m.lightsLevel = rm.lights.length === 0 ? 0 : rm.lights.filter(relay).length / rm.lights.length;
    m.step(1);
    sim.setValue(rm.co2Sensor, 'co2_ppm', m.sensorPpm);
    sim.setValue(rm.lightSensor, 'illuminance_lx', m.deskLx(t.minute / 60));
  }

  async stop(): Promise<void> {
    if (this.#roomTimer) clearInterval(this.#roomTimer);
    this.#roomTimer = undefined;
    await this.sim?.stop();
    await this.#pty?.close();
    this.sim = undefined;
    this.#pty = undefined;
    this.setState('stopped');
  }
}
