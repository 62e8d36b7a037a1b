import { lessonsOn, toMinute, type Lesson, type Timetable } from '../config/timetable.js';

/** Should the panel be on at this local time: from a while before the first lesson to a while after the last. */
export function desiredPower(
  tt: Timetable,
  s: { onMinutesBefore: number; offMinutesAfter: number },
  local: { date: string; weekday: number; minute: number },
): boolean {
  const lessons = lessonsOn(tt, local.date, local.weekday);
  const first = lessons[0];
  const last = lessons.at(-1);
  if (!first || !last) return false;
  return (
    local.minute >= toMinute(first.start) - s.onMinutesBefore && local.minute < toMinute(last.end) + s.offMinutesAfter
  );
}

export function inRanges(ranges: readonly { from: string; to: string }[], minute: number): boolean {
  return ranges.some((r) => minute >= toMinute(r.from) && minute < toMinute(r.to));
}

export function lessonSeconds(l: Lesson): number {
  return (toMinute(l.end) - toMinute(l.start)) * 60;
}

/** Brightness (%) for the room's light, capped so the screen never exceeds the luminance limit. */
export function brightnessFor(
  lux: number,
  o: { limitCdm2: number; atFullBrightnessCdm2: number; minPercent: number; luxForFull: number },
): number {
  const cap = brightnessCap(o);
  const want = o.minPercent + (100 - o.minPercent) * Math.min(1, Math.max(0, lux / o.luxForFull));
  return Math.round(Math.min(cap, want));
}

export function brightnessCap(o: { limitCdm2: number; atFullBrightnessCdm2: number }): number {
  return Math.min(100, Math.floor((o.limitCdm2 / o.atFullBrightnessCdm2) * 100));
}
