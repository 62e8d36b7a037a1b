import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { AuditAction } from '../audit-actions.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import type { Logger } from '../log.js';
import type { Static } from '@sinclair/typebox';
import type { LiveEvents, RoomStateEvent } from '../messages.js';
import { errorMessage } from '../errors.js';
import { monoNow } from '../clock.js';
import { lessonAt, lessonsOn, localTime, toMinute } from '../config/timetable.js';
import type { DisplayService } from '../display/display-service.js';
import { FreshAirControl } from './fresh-air-control.js';
import { LightControl } from './light-control.js';
import type { RuleDecision } from './switch-rule.js';
import type { SwitchChannel, SwitchStatus } from './switch.js';
import { whyText, type Why } from './why.js';
import { HaRoomPublisher } from './ha-room.js';
import { Curtain, type CurtainMotion } from './curtain.js';

/** Who made a change at a device's own button. */
const AT_SWITCH = 'at the switch';
/** More changes at a device's own button than this in a minute are the device, not a person. */
const AT_SWITCH_PER_MINUTE = 6;
import { sizeFreshAir } from './air-physics.js';
import type { RoomConfig, SceneId, SceneTarget, SwitchRole } from './config.js';

export type RoomView = Static<typeof RoomStateEvent>;
export type RoomSwitchView = RoomView['switches'][number];
export type SwitchMode = RoomSwitchView['mode'];

export interface RoomServiceOptions {
  config: Config;
  store: Store;
  bus: TypedEmitter<LiveEvents>;
  log: Logger;
  /** Every switch the configured drivers offer. */
  switches(): SwitchChannel[];
  panels(): DisplayService[];
  /** The room's value of a metric now (the same the environment page shows), or undefined. */
  roomValue(metric: 'co2_ppm' | 'illuminance_lx', now: number): number | undefined;
  /** Students present today from a completed morning check, or undefined. */
  presentToday(): number | undefined;
  /** Retained publishes on the embedded broker (Home Assistant sees the room). */
  publish?: (topic: string, payload: string, retain: boolean) => void;
  now?: () => number;
}

interface SwitchState {
  readonly id: string;
  readonly role: SwitchRole;
  readonly label: string | undefined;
  sceneMode: SwitchMode;
  override: { mode: SwitchMode; until: number; by: string } | undefined;
  /** What the room last told its driver, so that it is told once, not every tick. */
  commanded: boolean | undefined;
  inFlight: boolean;
  why: Why;
}

const GROUP: Record<SwitchRole, 'freshAir' | 'lights' | 'screenLights' | undefined> = {
  'fresh-air': 'freshAir',
  lights: 'lights',
  'screen-lights': 'screenLights',
  other: undefined,
};

/**
 * The room: scenes (上课, 下课, 投影, 离开) from the kiosk, the timetable or the district's
 * configuration; a teacher's change to any switch, which lapses at the end of the lesson; and the
 * rules that drive fresh air by CO₂ and lights by desk illuminance (docs/room-control.md). Every
 * switch it makes is in the audit log with its reason; the kiosk sees `room.state`.
 *
 * It only ever tells drivers what to do; whether it happened is what the drivers confirm.
 */
export class RoomService extends BaseComponent {
  readonly name = 'room';
  readonly kind = 'room-service';
  readonly #o: RoomServiceOptions;
  readonly #cfg: RoomConfig;
  readonly #now: () => number;
  readonly #switches: SwitchState[];
  readonly #freshAir: FreshAirControl;
  readonly #lights: LightControl;
  readonly #screenLights: LightControl;
  #scene: RoomView['scene'] = null;
  /** The timetable's state at the last tick: a lesson index, -1 between lessons, 'leave' after the day. */
  #period: number | 'leave' | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #warnedUndersized = false;
  readonly #ha: HaRoomPublisher | undefined;
  /** Curtain motors, made once their relays' drivers are found. */
  readonly #curtains = new Map<string, Curtain>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #emitPending = false;
  /** Changes made at a switch's own button, per switch, in the current minute: a flapping device is not a person. */
  readonly #atSwitch = new Map<string, { minute: number; n: number }>();
  readonly #c = { commands: 0, scenes: 0, overrides: 0, lapsed: 0, atSwitch: 0 };

  constructor(o: RoomServiceOptions) {
    super();
    this.#o = o;
    this.#cfg = o.config.room;
    this.#now = o.now ?? Date.now;
    this.#switches = this.#cfg.switches.map((s) => ({
      id: s.id,
      role: s.role,
      label: s.label,
      sceneMode: 'auto',
      override: undefined,
      commanded: undefined,
      inFlight: false,
      why: { code: 'no-scene' },
    }));
    this.#freshAir = new FreshAirControl(this.#cfg.freshAir);
    const light = this.#cfg.lights;
    this.#lights = new LightControl(light);
    this.#screenLights = new LightControl(light);
    // A motor relay belongs to one curtain and one direction: shared, the interlock could not hold.
    const taken = new Map(this.#cfg.switches.map((s) => [s.id, 'room.switches']));
    for (const c of this.#cfg.curtains)
      for (const id of [c.openSwitch, c.closeSwitch]) {
        const owner = taken.get(id);
        if (owner)
          throw new Error(
            `room.curtains ${c.id}: ${id} is also in ${owner}; a motor relay must be one curtain's, in one direction`,
          );
        taken.set(id, `room.curtains ${c.id}`);
      }
    this.#ha = o.publish
      ? new HaRoomPublisher({
          applianceId: o.config.appliance.id,
          discovery: o.config.environment.haDiscovery,
          publish: o.publish,
        })
      : undefined;
  }

  protected override counters(): Record<string, number> {
    return { ...this.#c };
  }

  async start(): Promise<void> {
    this.setState('starting');
    const curtainRelays = new Set(this.#cfg.curtains.flatMap((c) => [c.openSwitch, c.closeSwitch]));
    this.#unsubscribe = this.#o.bus.on('switch.state', (s) => {
      const ours = this.#switches.some((x) => x.id === s.id);
      if (ours) this.#noticeAtSwitch(s);
      // What a device confirms (or stops confirming) reaches the kiosk and Home Assistant at once.
      if (ours || curtainRelays.has(s.id)) this.#emitSoon();
    });
    this.tick();
    this.#timer = this.every(
      2000,
      () => this.tick(),
      (err) => this.#o.log.error({ err: errorMessage(err) }, 'room tick failed'),
    );
    this.setState('running');
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    // A curtain motor must not run on with nobody left to stop it: stop each moving one, bounded.
    const moving = [...this.#curtains.values()].filter((c) => c.status().moving !== undefined);
    await Promise.race([
      Promise.all(moving.map((c) => c.command('stop').catch(() => undefined))),
      new Promise((r) => setTimeout(r, 3000).unref()),
    ]);
    this.setState('stopped');
  }

  /** One room.state for a burst of device reports. */
  #emitSoon(): void {
    if (this.#emitPending) return;
    this.#emitPending = true;
    this.#later(100, () => {
      this.#emitPending = false;
      this.#emit();
    });
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  /** One pass: the timetable's scenes, lapsed overrides, the rules, and the commands they call for. */
  tick(): void {
    const now = this.#now();
    if (this.#cfg.timetableScenes) this.#timetable(now);
    for (const s of this.#switches)
      if (s.override && now >= s.override.until) {
        this.#c.lapsed++;
        this.#audit('room.override.lapsed', s.id, 'system', { mode: s.override.mode, by: s.override.by });
        s.override = undefined;
      }
    this.#drive(now);
    this.#sizingWarning();
  }

  /** A scene: each group to the scene's target; the panel on or off; overrides end. */
  async scene(id: SceneId, by: string): Promise<RoomView> {
    const now = this.#now();
    const def = this.#cfg.scenes[id];
    this.#scene = { id, since: now, by };
    this.#c.scenes++;
    for (const s of this.#switches) {
      s.override = undefined;
      const group = GROUP[s.role];
      const target: SceneTarget = group ? def[group] : 'keep';
      if (target !== 'keep') s.sceneMode = target;
    }
    this.#audit('room.scene', id, by, { ...def });
    if (def.curtains !== 'keep')
      for (const c of this.#cfg.curtains)
        this.curtain(c.id, def.curtains, by).catch((err: unknown) =>
          this.#o.log.warn({ curtain: c.id, scene: id, err: errorMessage(err) }, 'scene: the curtain did not move'),
        );
    if (def.panel !== 'keep')
      for (const p of this.#o.panels())
        p.command({ kind: 'power', on: def.panel === 'on' }).then(
          () => this.#audit('display.command', p.name, by, { kind: 'power', on: def.panel === 'on', scene: id }),
          (err: unknown) =>
            this.#o.log.warn({ panel: p.name, scene: id, err: errorMessage(err) }, 'scene: the panel did not confirm'),
        );
    this.#drive(now);
    this.#emit();
    return this.view(now);
  }

  /** A person's change to one switch: on, off, or back to the room's rule; it lapses at the end of the lesson. */
  override(id: string, mode: SwitchMode, by: string): RoomView | undefined {
    const s = this.#switches.find((x) => x.id === id);
    if (!s) return undefined;
    const now = this.#now();
    this.#setOverride(s, mode, by, now);
    this.#drive(now);
    this.#emit();
    return this.view(now);
  }

  /** Move a curtain: open, close or stop. Undefined when there is no such curtain or its relays have no driver. */
  async curtain(id: string, motion: CurtainMotion, by: string): Promise<RoomView | undefined> {
    const c = this.#curtain(id);
    if (!c) return undefined;
    const st = await c.command(motion);
    this.#audit('room.curtain', id, by, { motion, ...(st.lastError ? { error: st.lastError } : {}) });
    this.#emit();
    // The motor stops by itself after its travel: tell the kiosk then too.
    if (st.moving)
      setTimeout(() => this.#emit(), (this.#cfg.curtains.find((x) => x.id === id)?.travelS ?? 0) * 1000 + 1500).unref();
    return this.view();
  }

  #curtain(id: string): Curtain | undefined {
    const known = this.#curtains.get(id);
    if (known) return known;
    const cfg = this.#cfg.curtains.find((c) => c.id === id);
    if (!cfg) return undefined;
    const byId = new Map(this.#o.switches().map((c) => [c.id, c]));
    const open = byId.get(cfg.openSwitch);
    const close = byId.get(cfg.closeSwitch);
    if (!open || !close) return undefined;
    const made = new Curtain({ id, open, close, travelS: cfg.travelS });
    this.#curtains.set(id, made);
    return made;
  }

  #setOverride(s: SwitchState, mode: SwitchMode, by: string, now: number): void {
    const until = this.#overrideEnd(now);
    s.override = { mode, until, by };
    this.#c.overrides++;
    this.#audit('room.override', s.id, by, { mode, until: new Date(until).toISOString() });
  }

  /** The end of the lesson under way, or overrideMinutes from now between lessons. */
  #overrideEnd(now: number): number {
    const t = localTime(now, this.#o.config.appliance.timezone);
    const lessons = lessonsOn(this.#o.config.timetable, t.date, t.weekday);
    const i = lessonAt(lessons, t.minute);
    const lesson = lessons[i];
    if (lesson) return now + (toMinute(lesson.end) - t.minute) * 60_000 - (now % 60_000);
    return now + this.#cfg.overrideMinutes * 60_000;
  }

  #timetable(now: number): void {
    const t = localTime(now, this.#o.config.appliance.timezone);
    const lessons = lessonsOn(this.#o.config.timetable, t.date, t.weekday);
    const i = lessonAt(lessons, t.minute);
    const last = lessons[lessons.length - 1];
    const first = lessons[0];
    const period: number | 'leave' =
      i >= 0
        ? i
        : !first ||
            !last ||
            t.minute >= toMinute(last.end) + this.#cfg.leaveAfterMin ||
            t.minute < toMinute(first.start) - 30
          ? 'leave'
          : -1;
    if (period === this.#period) return;
    const was = this.#period;
    this.#period = period;
    const scene: SceneId = period === 'leave' ? 'leave' : period >= 0 ? 'lesson' : 'break';
    // At start only a lesson under way is taken up; otherwise the room is left as it is until something happens.
    if (was === undefined && scene !== 'lesson') return;
    this.scene(scene, 'timetable').catch((err: unknown) =>
      this.#o.log.error({ scene, err: errorMessage(err) }, 'timetable scene failed'),
    );
  }

  /** A confirmed state nobody here asked for (the switch's own button): a person's override. */
  #noticeAtSwitch(st: SwitchStatus): void {
    const s = this.#switches.find((x) => x.id === st.id);
    if (!s || s.inFlight || st.state === 'unknown' || st.pending !== undefined || s.commanded === undefined) return;
    const on = st.state === 'on';
    if (on === s.commanded) return;
    const minute = Math.floor(this.#now() / 60_000);
    const seen = this.#atSwitch.get(s.id);
    const n = seen?.minute === minute ? seen.n + 1 : 1;
    this.#atSwitch.set(s.id, { minute, n });
    if (n > AT_SWITCH_PER_MINUTE) {
      // Flapping faster than anyone presses a button: taken as the state, not recorded as a person's choice.
      s.commanded = on;
      if (n === AT_SWITCH_PER_MINUTE + 1)
        this.#o.log.warn(
          { switch: s.id },
          'a switch changes by itself more than a person would; not recorded one by one',
        );
      return;
    }
    this.#c.atSwitch++;
    s.commanded = on;
    this.#setOverride(s, on ? 'on' : 'off', AT_SWITCH, this.#now());
    this.#emit();
  }

  #mode(s: SwitchState): SwitchMode {
    return s.override?.mode ?? s.sceneMode;
  }

  #drive(now: number): void {
    const byId = new Map(this.#o.switches().map((c) => [c.id, c]));
    const mono = monoNow();
    const co2 = this.#o.roomValue('co2_ppm', now);
    const lx = this.#o.roomValue('illuminance_lx', now);
    // One rule per group, judged on the group's first switch: the group switches together.
    const decided = new Map<SwitchRole, RuleDecision>();
    let changed = false;
    for (const s of this.#switches) {
      const channel = byId.get(s.id);
      if (!channel) {
        changed ||= s.why.code !== 'no-driver';
        s.why = { code: 'no-driver' };
        continue;
      }
      const mode = this.#mode(s);
      let want: boolean | undefined;
      let why: Why;
      if (mode === 'auto' && s.role !== 'other') {
        let d = decided.get(s.role);
        if (!d) {
          const state = channel.status().state;
          d =
            s.role === 'fresh-air'
              ? this.#freshAir.decide(co2, state, mono)
              : (s.role === 'lights' ? this.#lights : this.#screenLights).decide(lx, state, mono);
          decided.set(s.role, d);
        }
        want = d.switchTo ?? (s.commanded === undefined ? undefined : s.commanded);
        why = d.why;
      } else {
        want = mode === 'on' ? true : mode === 'off' ? false : undefined;
        why = {
          code: s.override
            ? s.override.by === AT_SWITCH
              ? 'at-switch'
              : 'by-hand'
            : s.role === 'other' && mode === 'auto'
              ? 'by-hand-only'
              : 'scene',
        };
      }
      changed ||= JSON.stringify(s.why) !== JSON.stringify(why);
      s.why = why;
      if (want === undefined || want === s.commanded || s.inFlight) continue;
      this.#command(s, channel, want, whyText(why), mono);
      changed = true;
    }
    if (changed) this.#emit();
  }

  #command(s: SwitchState, channel: SwitchChannel, on: boolean, reason: string, mono: number): void {
    s.commanded = on;
    s.inFlight = true;
    this.#c.commands++;
    // A switch made for a scene or a person restarts the rule's minimum time.
    if (this.#mode(s) !== 'auto') {
      if (s.role === 'fresh-air') this.#freshAir.switched(on, mono);
      else if (s.role === 'lights') this.#lights.switched(on, mono);
      else if (s.role === 'screen-lights') this.#screenLights.switched(on, mono);
    }
    const by = s.override ? s.override.by : this.#mode(s) === 'auto' ? 'rule' : `scene ${this.#scene?.id ?? ''}`;
    channel.set(on).then(
      (st) => {
        s.inFlight = false;
        this.#audit('room.switch', s.id, by, { to: on ? 'on' : 'off', reason, confirmed: st.state });
        this.#emit();
      },
      (err: unknown) => {
        s.inFlight = false;
        this.#o.log.warn({ switch: s.id, err: errorMessage(err) }, 'room: switch command failed');
        this.#audit('room.switch', s.id, by, { to: on ? 'on' : 'off', reason, error: errorMessage(err) }, 'error');
      },
    );
  }

  #sizing(): RoomView['sizing'] {
    const students = this.#o.presentToday() ?? this.#cfg.classSize;
    const unitM3h = this.#cfg.freshAir.unitM3h;
    const room = {
      volumeM3: this.#cfg.volumeM3,
      outdoorPpm: this.#cfg.outdoorCo2Ppm,
      infiltrationAch: this.#cfg.infiltrationAch,
    };
    return { ...sizeFreshAir(room, { students, stage: this.#cfg.stage, unitM3h }), students, unitM3h };
  }

  /** Once per start: IT staff are told the unit cannot hold the limit, rather than the rule being blamed. */
  #sizingWarning(): void {
    if (this.#warnedUndersized || !this.#switches.some((s) => s.role === 'fresh-air')) return;
    const z = this.#sizing();
    if (!z.undersized) return;
    this.#warnedUndersized = true;
    this.#o.log.warn(
      {
        students: z.students,
        unitM3h: z.unitM3h,
        settlesAtPpm: Math.round(z.steadyPpm),
        neededM3h: Math.round(z.requiredUnitM3h),
      },
      'the fresh-air unit is undersized for this class: CO₂ will settle above 1000 ppm with it running',
    );
  }

  #audit(
    action: AuditAction,
    target: string,
    by: string,
    detail: Record<string, unknown>,
    result: 'ok' | 'error' = 'ok',
  ): void {
    try {
      this.#o.store.audit.record({
        actor: by.startsWith('user:') ? by : `room:${by}`,
        action,
        target,
        result,
        detail,
      });
    } catch (err) {
      this.#o.log.error({ action, err: errorMessage(err) }, 'room: audit record could not be written');
    }
  }

  #emit(): void {
    const view = this.view();
    this.#o.bus.safeEmit('room.state', view);
    this.#ha?.update(view);
  }

  view(now = this.#now()): RoomView {
    const byId = new Map(this.#o.switches().map((c) => [c.id, c]));
    const co2 = this.#o.roomValue('co2_ppm', now);
    const lx = this.#o.roomValue('illuminance_lx', now);
    return {
      enabled: this.#cfg.enabled,
      scene: this.#scene,
      switches: this.#switches.map((s) => ({
        id: s.id,
        role: s.role,
        status: byId.get(s.id)?.status(),
        mode: this.#mode(s),
        source: s.override ? 'override' : 'scene',
        ...(s.label !== undefined ? { label: s.label } : {}),
        ...(s.override ? { overrideUntil: s.override.until, overrideBy: s.override.by } : {}),
        why: s.why,
        reason: whyText(s.why),
      })),
      curtains: this.#cfg.curtains.map((c) => {
        const st = this.#curtains.get(c.id)?.status();
        return {
          id: c.id,
          ...(c.label !== undefined ? { label: c.label } : {}),
          position: st?.position ?? null,
          moving: st?.moving ?? null,
          ...(st?.lastError !== undefined ? { lastError: st.lastError } : {}),
        };
      }),
      co2Ppm: co2 === undefined ? null : Math.round(co2),
      deskLx: lx === undefined ? null : Math.round(lx),
      sizing: this.#sizing(),
    };
  }
}
