import { RoomModel, type RoomModelParams } from '../../firmware-bridge/sim/room-model.js';
import { FreshAirControl, type FreshAirRule } from '../../edge/room/fresh-air-control.js';
import { CO2_LIMIT_PPM } from '../../edge/room/air-physics.js';

/**
 * A school morning in the room model, closed loop: 40 pupils, four 45-minute lessons with 10-minute
 * breaks in the room and a 30-minute 大课间 outside after the second; the windows stay shut. The
 * CO₂ sensor is read every `readEveryS` (it lags the room, as an NDIR sensor does) and, with a rule,
 * the controller switches the fan on each reading, confirmed at once.
 */
export const MORNING: readonly { from: number; to: number; students: number; lesson: boolean }[] = [
  { from: 8 * 60 - 10, to: 8 * 60, students: 40, lesson: false },
  { from: 8 * 60, to: 8 * 60 + 45, students: 40, lesson: true },
  { from: 8 * 60 + 45, to: 8 * 60 + 55, students: 40, lesson: false },
  { from: 8 * 60 + 55, to: 9 * 60 + 40, students: 40, lesson: true },
  { from: 9 * 60 + 40, to: 10 * 60 + 10, students: 0, lesson: false },
  { from: 10 * 60 + 10, to: 10 * 60 + 55, students: 40, lesson: true },
  { from: 10 * 60 + 55, to: 11 * 60 + 5, students: 40, lesson: false },
  { from: 11 * 60 + 5, to: 11 * 60 + 50, students: 40, lesson: true },
];

export interface MorningResult {
  /** Share of lesson seconds with the room's CO₂ above 1000 ppm. */
  overLimitShare: number;
  peakPpm: number;
  /** Every switch of the fan: minute of the day and the state. */
  switches: { atS: number; on: boolean }[];
  /** The shortest time the fan stayed on, and off, between two switches (s); Infinity when it never did. */
  shortestOnS: number;
  shortestOffS: number;
}

export function schoolMorning(o: {
  rule?: FreshAirRule;
  room?: Partial<RoomModelParams>;
  students?: number;
  readEveryS?: number;
}): MorningResult {
  const model = new RoomModel(o.room ?? {});
  const control = o.rule ? new FreshAirControl(o.rule) : undefined;
  const readEvery = o.readEveryS ?? 10;
  const start = (MORNING[0]?.from ?? 0) * 60;
  const end = (MORNING[MORNING.length - 1]?.to ?? 0) * 60;
  let lessonS = 0;
  let overS = 0;
  let peak = model.ppm;
  const switches: { atS: number; on: boolean }[] = [];
  for (let t = start; t < end; t++) {
    const minute = t / 60;
    const period = MORNING.find((p) => minute >= p.from && minute < p.to);
    model.students = period && period.students > 0 ? (o.students ?? period.students) : 0;
    model.teachers = period?.lesson ? 1 : 0;
    if (control && (t - start) % readEvery === 0) {
      const d = control.decide(model.sensorPpm, model.fanOn ? 'on' : 'off', t * 1000);
      if (d.switchTo !== undefined && d.switchTo !== model.fanOn) {
        model.fanOn = d.switchTo;
        switches.push({ atS: t, on: d.switchTo });
      }
    }
    model.step(1);
    peak = Math.max(peak, model.ppm);
    if (period?.lesson) {
      lessonS++;
      if (model.ppm > CO2_LIMIT_PPM) overS++;
    }
  }
  let shortestOnS = Infinity;
  let shortestOffS = Infinity;
  for (let i = 1; i < switches.length; i++) {
    const a = switches[i - 1] as { atS: number; on: boolean };
    const b = switches[i] as { atS: number; on: boolean };
    if (a.on) shortestOnS = Math.min(shortestOnS, b.atS - a.atS);
    else shortestOffS = Math.min(shortestOffS, b.atS - a.atS);
  }
  return { overLimitShare: overS / lessonS, peakPpm: peak, switches, shortestOnS, shortestOffS };
}
