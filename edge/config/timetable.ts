import { Type, type Static } from '@sinclair/typebox';
import { label, type Labelled } from './labels.js';

/**
 * The school's timetable: when lessons are. The panel's power schedule and screen-time accounting
 * use it now; lesson analytics will too. Times are local to `appliance.timezone`.
 */

/** A lesson's start or end: the two share the pattern, each has its own label. */
const HHMM = (labels: Labelled) =>
  Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time, HH:MM.', ...labels });
const DATE = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' });
export const LessonSchema = Type.Object(
  {
    start: HHMM(label('上课时间', 'Start', '这节课开始的当地时间，格式 HH:MM。')),
    end: HHMM(label('下课时间', 'End', '这节课结束的当地时间，格式 HH:MM。')),
  },
  { additionalProperties: false },
);

export const TimetableSchema = Type.Object(
  {
    lessons: Type.Array(LessonSchema, {
      default: [
        { start: '08:00', end: '08:40' },
        { start: '08:50', end: '09:30' },
        { start: '09:50', end: '10:30' },
        { start: '10:40', end: '11:20' },
        { start: '14:00', end: '14:40' },
        { start: '14:50', end: '15:30' },
        { start: '15:40', end: '16:20' },
      ],
      description: 'Lessons of an ordinary school day.',
      ...label('每日课节', 'Daily lessons', '平常教学日的各节课。'),
    }),
    byWeekday: Type.Record(
      Type.String({ pattern: '^[1-7]$' }),
      Type.Array(LessonSchema, label('当天课节', 'Lessons of that day', '这一天的全部课节，代替平常的课节。')),
      {
        default: {},
        description: 'Lessons of particular weekdays (1 = Monday ... 7 = Sunday) where they differ.',
        ...label(
          '按星期另排课节',
          'Lessons by weekday',
          '某几天的课节与平常不同时，按星期几单独填写（1 = 星期一 … 7 = 星期日）。',
        ),
      },
    ),
    schoolDays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), {
      default: [1, 2, 3, 4, 5],
      description: 'Weekdays with lessons.',
      ...label('上课日', 'School days', '每周有课的日子（1 = 星期一 … 7 = 星期日）。'),
    }),
    holidays: Type.Array(DATE, {
      default: [],
      description: 'Dates without lessons (YYYY-MM-DD).',
      ...label('节假日', 'Holidays', '不上课的日期（YYYY-MM-DD）。'),
    }),
    makeUpDays: Type.Array(DATE, {
      default: [],
      description: 'Weekend dates with lessons (调休 make-up working days).',
      ...label('调休上课日', 'Make-up school days', '调休需要上课的周末日期（YYYY-MM-DD）。'),
    }),
  },
  {
    additionalProperties: false,
    default: {},
    ...label(
      '课表',
      'Timetable',
      '学校的作息时间：大屏定时开关机、屏幕使用时长统计和课堂分析都按它进行。时间按 `appliance.timezone` 的当地时间。',
    ),
  },
);
export type Timetable = Static<typeof TimetableSchema>;
export type Lesson = Static<typeof LessonSchema>;

/** Date, weekday (1 = Monday) and minute of the day of `ms` in `timeZone`. */
export function localTime(ms: number, timeZone: string): { date: string; weekday: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  const weekday = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'].indexOf(get('weekday')) + 1;
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday,
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

export const toMinute = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The lessons of the local day of `ms`: none on holidays and non-school days (make-up days have lessons). */
export function lessonsOn(tt: Timetable, date: string, weekday: number): Lesson[] {
  if (tt.holidays.includes(date)) return [];
  if (!tt.schoolDays.includes(weekday) && !tt.makeUpDays.includes(date)) return [];
  return tt.byWeekday[String(weekday)] ?? tt.lessons;
}

/** Index of the lesson under way at `minute`, or -1. */
export function lessonAt(lessons: Lesson[], minute: number): number {
  return lessons.findIndex((l) => minute >= toMinute(l.start) && minute < toMinute(l.end));
}
