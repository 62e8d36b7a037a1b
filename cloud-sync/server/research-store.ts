import type pg from 'pg';
import { inTx } from './store.js';

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
/** Per research read; a term of 5 000 classrooms sorts about 60 MB of numbers. */
const WORK_MEM = '128MB';

export class ResearchStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async lessonGroups(from: string, to: string, school: string | undefined): Promise<LessonGroupRow[]> {
    const mode = (m: string): string => `count(*) FILTER (WHERE l.mode = '${m}')::int`;
    const c = await this.#pool.connect();
    // The sort for the medians holds a row of numbers per lesson: in memory, not in temporary files.
    const r = await inTx(c, async () => {
      await c.query(`SET LOCAL work_mem = '${WORK_MEM}'`);
      return c.query<{
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
        // Each classroom's school and grade once; each lesson's numbers read out of its JSON once, so
        // the grouping sorts narrow rows (a term of 5 000 classrooms is millions of lessons).
        `WITH place AS MATERIALIZED (
         SELECT a.id, a.school, coalesce(h.status #>> '{place,grade}', '') AS grade
         FROM appliances a LEFT JOIN appliance_status h ON h.appliance_id = a.id
         WHERE $3::text IS NULL OR a.school = $3),
       l AS (
         SELECT r.appliance_id, ${num('teacherTalkS')} AS teacher, ${num('studentTalkS')} AS student,
           ${num('rt')} AS rt, ${num('ch')} AS ch, r.payload->>'mode' AS mode,
           jsonb_typeof(r.payload->'questioning') = 'object' AS questioned,
           ${num('questioning,wt1,medianS')} AS wt1, ${num('questioning,wt1,atLeast3sShare')} AS wt1_3s,
           ${num('questioning,wt2,medianS')} AS wt2, ${num('questioning,episodesPer10Min')} AS episodes,
           ${num('headUpMean')} AS head_up
         FROM records r
         WHERE r.stream = 'lessons' AND r.day BETWEEN $1::date AND $2::date)
       SELECT p.school, p.grade, count(*)::int AS lessons,
         avg(l.teacher / NULLIF(l.teacher + l.student, 0)) AS talk, avg(l.rt) AS rt, avg(l.ch) AS ch,
         ${mode('lecture')} AS lecture, ${mode('practice')} AS practice, ${mode('dialogue')} AS dialogue, ${mode('mixed')} AS mixed,
         count(*) FILTER (WHERE l.questioned)::int AS questioned,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY l.wt1) AS wt1, avg(l.wt1_3s) AS wt1_3s,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY l.wt2) AS wt2,
         avg(l.episodes) AS episodes, avg(l.head_up) AS head_up
       FROM l JOIN place p ON p.id = l.appliance_id
       GROUP BY 1, 2 ORDER BY 1, 2`,
        [from, to, school ?? null],
      );
    }).finally(() => c.release());
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
