import type { Static } from '@sinclair/typebox';
import { BaseComponent } from '../runtime/component.js';
import type { ComponentContext } from '../runtime/context.js';
import { DeviceError, ValidationError, errorMessage } from '../errors.js';
import { localTime, lessonAt, lessonsOn } from '../config/timetable.js';
import { FAMILIES } from '../../firmware-bridge/display/families.js';
import { DisplayDriver, type PanelState } from '../../firmware-bridge/display/display-driver.js';
import { openSerialLink, openTcpLink, type ByteLink } from '../../firmware-bridge/serial/link.js';
import type { DisplayCommand } from '../../firmware-bridge/display/protocol.js';
import { brightnessCap, brightnessFor, desiredPower, inRanges, lessonSeconds } from './schedule.js';
import type { DisplaySchema } from './display.kind.js';
import type { LiveEvents } from '../messages.js';
import { REOPEN_FIRST_MS, REOPEN_MAX_MS } from '../../firmware-bridge/serial/reopening-port.js';
import { monoNow } from '../clock.js';

type DisplayConfig = Static<typeof DisplaySchema>;
const TICK_MS = 15_000;
/** Brightness follows the light slowly: a change of at least this much, at most this often. */
const BRIGHTNESS_STEP = 5;
const BRIGHTNESS_EVERY_MS = 30_000;

/** A panel's state as the live event the kiosk receives. */
export function panelEvent(name: string, s: PanelState): LiveEvents['display.state'] {
  return {
    name,
    power: s.power,
    source: s.source,
    volume: s.volume,
    mute: s.mute,
    brightness: s.brightness,
    eyeCare: s.eyeCare,
    pending: s.pending,
    reachable: s.reachable,
    ...(s.lastError !== undefined ? { lastError: s.lastError } : {}),
  };
}

export interface ScreenTimeDay {
  date: string;
  onMinutes: number;
  lessonMinutes: number;
  lessonOnMinutes: number;
  /** Screen-on share of teaching time (lessons only). */
  share: number;
  limit: number;
  lessons: { lesson: number; start: string; end: string; onMinutes: number; share: number }[];
}

/**
 * One interactive flat panel: its driver, its power schedule from the timetable, eye-care times,
 * brightness that follows the room's light without exceeding the luminance limit, and screen-time
 * accounting per lesson and per day. `tick(now)` does the timed work, so a test can run a whole day
 * on a fake clock.
 */
export class DisplayService extends BaseComponent {
  readonly kind = 'display';
  readonly name: string;
  readonly cfg: DisplayConfig;
  readonly #ctx: ComponentContext;
  readonly #now: () => number;
  #link: ByteLink | undefined;
  #driver: DisplayDriver | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #lastDesiredPower: boolean | undefined;
  #lastDesiredEyeCare: boolean | undefined;
  #lastTickAt: number | undefined;
  #lastBrightnessAt: number | undefined;
  readonly #reminded = new Set<string>();
  #reconnecting = false;

  constructor(ctx: ComponentContext, cfg: DisplayConfig, opts: { now?: () => number } = {}) {
    super();
    this.#ctx = ctx;
    this.cfg = cfg;
    this.name = cfg.name;
    this.#now = opts.now ?? Date.now;
  }

  get panel(): PanelState | undefined {
    return this.#driver?.state;
  }

  /** Commands this panel's family supports, and where their bytes come from. */
  supported(): Record<string, string> {
    return { ...FAMILIES[this.cfg.family].provenance } as Record<string, string>;
  }

  get capPercent(): number {
    return brightnessCap(this.cfg.luminance);
  }

  protected override counters(): Record<string, number> {
    return { ...(this.#driver?.counters ?? {}) };
  }

  async start(): Promise<void> {
    this.setState('starting');
    if (!this.cfg.port && !this.cfg.tcp)
      throw new ValidationError(`display ${this.name}`, [
        { path: '/port', expected: 'a serial port or a tcp host and port' },
      ]);
    await this.#connect();
    // Learn what the panel is doing before deciding anything.
    await this.#driver?.send({ kind: 'query', what: 'power' }).catch(() => undefined);
    if (FAMILIES[this.cfg.family].provenance['query.volume'])
      await this.#driver?.send({ kind: 'query', what: 'volume' }).catch(() => undefined);
    this.#unsubscribe = this.#ctx.bus.on('reading', (e) => {
      const lux = e.metrics.illuminance_lx;
      if (lux !== undefined) this.#followLight(lux);
    });
    this.tick();
    this.#timer = this.every(
      TICK_MS,
      () => this.tick(),
      (err) => this.#ctx.log.error({ err }, 'panel schedule tick failed'),
    );
  }

  async #connect(): Promise<void> {
    const protocol = FAMILIES[this.cfg.family];
    this.#link = this.cfg.tcp
      ? await openTcpLink(this.cfg.tcp.host, this.cfg.tcp.port, this.cfg.writeTimeoutMs)
      : await openSerialLink(this.cfg.port as string, this.cfg.baudRate ?? protocol.baudRate, this.cfg.writeTimeoutMs);
    this.#link.onClose((why) => {
      this.setState('degraded', why);
      void this.#reconnect();
    });
    this.#driver = new DisplayDriver({
      protocol,
      link: this.#link,
      commandTimeoutMs: this.cfg.commandTimeoutMs,
      retries: this.cfg.retries,
      onState: (s) => this.#onState(s),
    });
    this.#onState(this.#driver.state);
  }

  // Its own loop, not ReopeningPort: a panel's link may be TCP (a network-controlled panel) as well
  // as serial. The pace is the serial drivers' one.
  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    let delay = REOPEN_FIRST_MS;
    while (this.#timer !== undefined) {
      await new Promise((r) => setTimeout(r, delay));
      try {
        await this.#connect();
        await this.#driver?.send({ kind: 'query', what: 'power' }).catch(() => undefined);
        break;
      } catch (err) {
        delay = Math.min(delay * 2, REOPEN_MAX_MS);
        this.setState('degraded', errorMessage(err));
      }
    }
    this.#reconnecting = false;
  }

  #onState(s: PanelState): void {
    this.setState(
      s.reachable ? 'running' : 'degraded',
      s.reachable ? undefined : (s.lastError ?? 'panel has not answered yet'),
    );
    this.#ctx.bus.safeEmit('display.state', panelEvent(this.name, s));
  }

  /** A person's command (kiosk, API). Brightness is capped at the luminance limit. */
  async command(cmd: DisplayCommand): Promise<PanelState> {
    const driver = this.#driver;
    if (!driver) throw new DeviceError(`display ${this.name} is not connected`);
    const capped = cmd.kind === 'brightness' ? { ...cmd, level: Math.min(cmd.level, this.capPercent) } : cmd;
    return driver.send(capped);
  }

  #send(cmd: DisplayCommand, why: string): void {
    this.#ctx.log.info({ cmd, why }, 'panel command');
    this.#driver
      ?.send(cmd)
      .catch((err: unknown) => this.#ctx.log.warn({ cmd, err: errorMessage(err) }, 'panel did not acknowledge'));
  }

  #followLight(lux: number): void {
    const l = this.cfg.luminance;
    if (!l.followLight || this.panel?.power !== 'on') return;
    // Monotonic: after the wall clock is set back, brightness must not freeze until it catches up.
    const now = monoNow();
    if (this.#lastBrightnessAt !== undefined && now - this.#lastBrightnessAt < BRIGHTNESS_EVERY_MS) return;
    const target = brightnessFor(lux, l);
    const current = this.panel.brightness;
    if (current !== null && Math.abs(current - target) < BRIGHTNESS_STEP) return;
    this.#lastBrightnessAt = now;
    this.#send({ kind: 'brightness', level: target }, `room illuminance ${lux} lx`);
  }

  /** The timed work: schedule edges, eye-care edges, screen-time accounting and the lesson reminder. */
  tick(now = this.#now()): void {
    const tz = this.#ctx.config.appliance.timezone;
    const local = localTime(now, tz);
    const tt = this.#ctx.config.timetable;
    if (this.cfg.schedule.enabled) {
      const want = desiredPower(tt, this.cfg.schedule, local);
      // Act on changes of the schedule (and once at start), so a teacher who switches the panel off
      // mid-morning is not overruled until the next edge.
      if (want !== this.#lastDesiredPower) {
        this.#lastDesiredPower = want;
        if (want && this.panel?.power !== 'on') {
          this.#send({ kind: 'power', on: true }, 'timetable: lessons begin');
          this.#send({ kind: 'source', source: this.cfg.defaultSource }, 'timetable: default input');
        } else if (!want && this.panel?.power !== 'off')
          this.#send({ kind: 'power', on: false }, 'timetable: lessons over');
      }
    }
    if (this.cfg.eyeCare.length > 0) {
      const want = inRanges(this.cfg.eyeCare, local.minute);
      if (want !== this.#lastDesiredEyeCare) {
        this.#lastDesiredEyeCare = want;
        this.#send({ kind: 'eyeCare', on: want }, 'eye-care times');
      }
    }
    this.#account(now, local);
  }

  #account(now: number, local: { date: string; weekday: number; minute: number }): void {
    const last = this.#lastTickAt;
    this.#lastTickAt = now;
    if (last === undefined || this.panel?.power !== 'on') return;
    const seconds = Math.min(60, Math.max(0, (now - last) / 1000));
    if (seconds === 0) return;
    const lessons = lessonsOn(this.#ctx.config.timetable, local.date, local.weekday);
    const idx = lessonAt(lessons, local.minute);
    const lesson = lessons[idx];
    const onS = this.#ctx.store.screenTime.add(local.date, this.name, idx, seconds, lesson ? lessonSeconds(lesson) : 0);
    if (!lesson) return;
    const key = `${local.date}/${idx}`;
    const share = onS / lessonSeconds(lesson);
    if (share > this.cfg.maxScreenShare && !this.#reminded.has(key)) {
      this.#reminded.add(key);
      this.#ctx.bus.safeEmit('display.reminder', {
        name: this.name,
        lesson: idx,
        share: Math.round(share * 100) / 100,
        limit: this.cfg.maxScreenShare,
      });
    }
  }

  screenTime(date = localTime(this.#now(), this.#ctx.config.appliance.timezone).date): ScreenTimeDay {
    const rows = this.#ctx.store.screenTime.day(date, this.name);
    const d = new Date(`${date}T12:00:00Z`);
    const weekday = ((d.getUTCDay() + 6) % 7) + 1;
    const lessons = lessonsOn(this.#ctx.config.timetable, date, weekday);
    const lessonSecs = lessons.reduce((a, l) => a + lessonSeconds(l), 0);
    const byLesson = new Map(rows.map((r) => [r.lesson, r.onS]));
    const lessonOn = rows.filter((r) => r.lesson >= 0).reduce((a, r) => a + r.onS, 0);
    const round = (s: number): number => Math.round((s / 60) * 10) / 10;
    return {
      date,
      onMinutes: round(rows.reduce((a, r) => a + r.onS, 0)),
      lessonMinutes: round(lessonSecs),
      lessonOnMinutes: round(lessonOn),
      share: lessonSecs ? Math.round((lessonOn / lessonSecs) * 1000) / 1000 : 0,
      limit: this.cfg.maxScreenShare,
      lessons: lessons.map((l, i) => ({
        lesson: i,
        start: l.start,
        end: l.end,
        onMinutes: round(byLesson.get(i) ?? 0),
        share: Math.round(((byLesson.get(i) ?? 0) / lessonSeconds(l)) * 1000) / 1000,
      })),
    };
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#unsubscribe?.();
    await this.#link?.close();
    this.#link = undefined;
    this.#driver = undefined;
    this.setState('stopped');
  }
}
