import type pg from 'pg';

/** Lessons of one school and grade over a range of days, aggregated in SQL (a term of a district is millions). */
export interface LessonGroupRow {
  school: string;
  grade: string;
  lessons: number;
  teacherTalkShare: number | null;
  rt: number | null;
  ch: number | null;
  modes: { lecture: number; practice: number; dialogue: number; mixed: number };
  questioned: number;
  wt1MedianS: number | null;
  wt1AtLeast3sShare: number | null;
  wt2MedianS: number | null;
  episodesPer10Min: number | null;
  headUpMean: number | null;
}

/**
 * A number in the payload at `path`, or NULL when it is not a JSON number: a lesson from a newer or
 * odd appliance must not fail the page.
 */
const num = (path: string): string =>
  `CASE WHEN jsonb_typeof(r.payload #> '{${path}}') = 'number' THEN (r.payload #>> '{${path}}')::float8 END`;

/**
 * The teaching-research (教研) read: the `lessons` stream by school and grade. The grade is the one
 * the classroom's appliance gives in its heartbeat (appliance.classroom.grade). Lessons carry no
 * teacher's name (the appliance's outbox leaves it out), so nothing here can name one.
 */
export class ResearchStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async lessonGroups(from: string, to: string, school: string | undefined): Promise<LessonGroupRow[]> {
    const talk = `${num('teacherTalkS')} / NULLIF(${num('teacherTalkS')} + ${num('studentTalkS')}, 0)`;
    const mode = (m: string): string => `count(*) FILTER (WHERE r.payload->>'mode' = '${m}')::int`;
    const r = await this.#pool.query<{
      school: string;
      grade: string;
      lessons: number;
      talk: number | null;
      rt: number | null;
      ch: number | null;
      lecture: number;
      practice: number;
      dialogue: number;
      mixed: number;
      questioned: number;
      wt1: number | null;
      wt1_3s: number | null;
      wt2: number | null;
      episodes: number | null;
      head_up: number | null;
    }>(
      `SELECT a.school, coalesce(h.status #>> '{place,grade}', '') AS grade, count(*)::int AS lessons,
         avg(${talk}) AS talk, avg(${num('rt')}) AS rt, avg(${num('ch')}) AS ch,
         ${mode('lecture')} AS lecture, ${mode('practice')} AS practice, ${mode('dialogue')} AS dialogue, ${mode('mixed')} AS mixed,
         count(*) FILTER (WHERE jsonb_typeof(r.payload->'questioning') = 'object')::int AS questioned,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${num('questioning,wt1,medianS')}) AS wt1,
         avg(${num('questioning,wt1,atLeast3sShare')}) AS wt1_3s,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY ${num('questioning,wt2,medianS')}) AS wt2,
         avg(${num('questioning,episodesPer10Min')}) AS episodes,
         avg(${num('headUpMean')}) AS head_up
       FROM records r JOIN appliances a ON a.id = r.appliance_id
         LEFT JOIN appliance_status h ON h.appliance_id = r.appliance_id
       WHERE r.stream = 'lessons' AND r.day BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR a.school = $3)
       GROUP BY 1, 2 ORDER BY 1, 2`,
      [from, to, school ?? null],
    );
    return r.rows.map((x) => ({
      school: x.school,
      grade: x.grade,
      lessons: x.lessons,
      teacherTalkShare: x.talk,
      rt: x.rt,
      ch: x.ch,
      modes: { lecture: x.lecture, practice: x.practice, dialogue: x.dialogue, mixed: x.mixed },
      questioned: x.questioned,
      wt1MedianS: x.wt1,
      wt1AtLeast3sShare: x.wt1_3s,
      wt2MedianS: x.wt2,
      episodesPer10Min: x.episodes,
      headUpMean: x.head_up,
    }));
  }
}
