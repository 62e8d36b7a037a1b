import type { Config } from '../config/schema.js';
import { lessonsOn, localTime, toMinute } from '../config/timetable.js';
import { lessonView, type Lesson, type LessonView } from '../store/repos/lessons.js';

export interface LessonPeriod {
  /** 1-based: 第 n 节 of that day's timetable. */
  n: number;
  start: string;
  end: string;
}

/** A lesson started this long before its period still counts as that period (the teacher starts early). */
const EARLY_MINUTES = 10;

/**
 * Which period of the school's timetable a lesson was: what the teacher calls it (第 3 节), not
 * the database's number. Null outside the timetable (an evening or weekend lesson started by hand).
 */
export function periodOf(startedAt: number, config: Pick<Config, 'timetable' | 'appliance'>): LessonPeriod | null {
  const { date, weekday, minute } = localTime(startedAt, config.appliance.timezone);
  const lessons = lessonsOn(config.timetable, date, weekday);
  const i = lessons.findIndex((l) => minute >= toMinute(l.start) - EARLY_MINUTES && minute < toMinute(l.end));
  const l = lessons[i];
  return l ? { n: i + 1, start: l.start, end: l.end } : null;
}

/** A lesson as the API and the live events show it: its figures and its period. */
export function lessonEvent(l: Lesson, config: Pick<Config, 'timetable' | 'appliance'>): LessonView {
  return { ...lessonView(l), period: periodOf(l.startedAt, config) };
}
