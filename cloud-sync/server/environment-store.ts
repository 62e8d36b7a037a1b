import type pg from 'pg';

/** One period's sums of a classroom's (or a school's) daily environment summaries. */
export interface ExposureSums {
  /** Summaries counted (one an appliance a day: its latest). */
  days: number;
  lessonMinutes: number;
  co2: { withData: number; over: number };
  pm25: { withData: number; over: number };
  light: { withData: number; over: number };
  noise: { withData: number; mean: number | null; max: number | null };
}

/** A classroom (appliance) or, with `applianceId` null, its school's total over its classrooms. */
export interface ExposureRow {
  school: string;
  applianceId: string | null;
  /** Where the box says it is (its last heartbeat): name, grade, class, room; `{}` for a school row. */
  place: Record<string, unknown>;
  today: ExposureSums;
  term: ExposureSums;
  /** Latest summaries in the range left out because they do not have the expected shape. */
  skipped: number;
}

/** A number at `path` of the summary, or NULL when it is not a JSON number. */
const n = (path: string): string =>
  `CASE WHEN jsonb_typeof(j.p #> '{${path}}') = 'number' THEN (j.p #>> '{${path}}')::float8 END`;
const METRICS = ['co2_ppm', 'pm25_ugm3', 'illuminance_lx', 'noise_dba'] as const;
const FIELDS = ['lessonMinutes', 'minutesWithData', 'minutesOver', 'mean', 'max'] as const;
/**
 * A metric's field as a column of the read's `numbers` step, which takes each number out of the
 * summary's JSON once: a term of 5 000 classrooms is hundreds of thousands of summaries, and the
 * checks and sums below read each field several times.
 */
const m = (metric: (typeof METRICS)[number], field: (typeof FIELDS)[number]): string =>
  `j.${metric}_${field.toLowerCase()}`;
const NUMBERS = [
  ...METRICS.flatMap((x) => FIELDS.map((f) => `${n(`metrics,${x},${f}`)} AS ${m(x, f).slice(2)}`)),
  `coalesce(jsonb_typeof(j.p #> '{metrics,noise_dba,mean}'), 'null') IN ('number', 'null') AS noise_mean_ok`,
  `coalesce(jsonb_typeof(j.p #> '{metrics,noise_dba,max}'), 'null') IN ('number', 'null') AS noise_max_ok`,
].join(',\n           ');

/**
 * Whether a summary has the shape the appliance sends (edge/environment/lesson-exposure.ts): for
 * CO₂, PM2.5 and light, lesson minutes of a day, with data among them, over among those; for noise,
 * minutes with data and a mean and maximum that are numbers or null. A summary from an odd or newer
 * appliance that breaks it is counted as skipped, never summed and never a failed page.
 */
const JUDGED = ['co2_ppm', 'pm25_ugm3', 'illuminance_lx'] as const;
const SHAPE = [
  `${m('co2_ppm', 'lessonMinutes')} BETWEEN 0 AND 1440`,
  ...JUDGED.flatMap((x) => [
    `${m(x, 'lessonMinutes')} = ${m('co2_ppm', 'lessonMinutes')}`,
    `${m(x, 'minutesWithData')} BETWEEN 0 AND ${m(x, 'lessonMinutes')}`,
    `${m(x, 'minutesOver')} BETWEEN 0 AND ${m(x, 'minutesWithData')}`,
  ]),
  `${m('noise_dba', 'minutesWithData')} BETWEEN 0 AND ${m('co2_ppm', 'lessonMinutes')}`,
  'j.noise_mean_ok',
  'j.noise_max_ok',
].join(' AND ');

/** The sums of one period: `cond` picks the summaries (an SQL condition on `j.day`). */
function period(p: string, cond: string): string {
  const ok = `j.ok AND ${cond}`;
  const sum = (expr: string, as: string): string =>
    `coalesce(sum(${expr}) FILTER (WHERE ${ok}), 0)::float8 AS ${p}_${as}`;
  return [
    `count(j.day) FILTER (WHERE ${ok})::int AS ${p}_days`,
    sum(m('co2_ppm', 'lessonMinutes'), 'lesson'),
    sum(m('co2_ppm', 'minutesWithData'), 'co2_with'),
    sum(m('co2_ppm', 'minutesOver'), 'co2_over'),
    sum(m('pm25_ugm3', 'minutesWithData'), 'pm25_with'),
    sum(m('pm25_ugm3', 'minutesOver'), 'pm25_over'),
    sum(m('illuminance_lx', 'minutesWithData'), 'light_with'),
    sum(m('illuminance_lx', 'minutesOver'), 'light_over'),
    sum(m('noise_dba', 'minutesWithData'), 'noise_with'),
    // The noise mean over lesson minutes, weighted by each day's minutes with data.
    `sum(${m('noise_dba', 'mean')} * ${m('noise_dba', 'minutesWithData')}) FILTER (WHERE ${ok}) / NULLIF(sum(${m('noise_dba', 'minutesWithData')}) FILTER (WHERE ${ok} AND ${m('noise_dba', 'mean')} IS NOT NULL), 0) AS ${p}_noise_mean`,
    `max(${m('noise_dba', 'max')}) FILTER (WHERE ${ok}) AS ${p}_noise_max`,
  ].join(',\n         ');
}

type Row = Record<string, number | string | null | Record<string, unknown>>;

function sums(r: Row, p: string): ExposureSums {
  const num = (k: string): number => Number(r[`${p}_${k}`] ?? 0);
  const maybe = (k: string): number | null => (r[`${p}_${k}`] === null ? null : Number(r[`${p}_${k}`]));
  return {
    days: num('days'),
    lessonMinutes: num('lesson'),
    co2: { withData: num('co2_with'), over: num('co2_over') },
    pm25: { withData: num('pm25_with'), over: num('pm25_over') },
    light: { withData: num('light_with'), over: num('light_over') },
    noise: { withData: num('noise_with'), mean: maybe('noise_mean'), max: maybe('noise_max') },
  };
}

/**
 * The environment page's read: the appliances' daily environment summaries (`env-days` stream),
 * the latest of each appliance's day, summed in SQL per classroom and per school, for one day
 * ("today") and a range (the term). Every enrolled appliance in scope is a row, with or without
 * summaries, so a classroom that sent nothing shows as no data rather than missing. A school
 * scope (`undefined`: every school) is applied in SQL.
 */
export class EnvironmentStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async exposure(today: string, from: string, to: string, school: string | undefined): Promise<ExposureRow[]> {
    const r = await this.#pool.query<Row>(
      `WITH latest AS (
         SELECT DISTINCT ON (r.appliance_id, r.day) r.appliance_id, r.day, r.payload AS p
         FROM records r JOIN appliances a ON a.id = r.appliance_id
         WHERE r.stream = 'env-days' AND r.day BETWEEN least($1::date, $2::date) AND greatest($1::date, $3::date)
           AND ($4::text IS NULL OR a.school = $4)
         ORDER BY r.appliance_id, r.day,
           CASE WHEN jsonb_typeof(r.payload->'madeAt') = 'number' THEN (r.payload->>'madeAt')::float8 END DESC NULLS LAST,
           r.seq DESC
       ), numbers AS (
         SELECT j.appliance_id, j.day,
           ${NUMBERS}
         FROM latest j
       ), judged AS (
         SELECT j.*, coalesce(${SHAPE}, false) AS ok FROM numbers j
       ), place AS MATERIALIZED (
         -- Each classroom's place once, not its 2 kB status for every summary it sent.
         SELECT a.id, a.school, coalesce(h.status->'place', '{}'::jsonb) AS place
         FROM appliances a LEFT JOIN appliance_status h ON h.appliance_id = a.id
         WHERE ($4::text IS NULL OR a.school = $4)
       )
       SELECT a.school, CASE WHEN grouping(a.id) = 0 THEN a.id END AS appliance_id,
         a.place,
         ${period('today', 'j.day = $1::date')},
         ${period('term', 'j.day BETWEEN $2::date AND $3::date')},
         count(j.day) FILTER (WHERE NOT j.ok AND (j.day = $1::date OR j.day BETWEEN $2::date AND $3::date))::int AS skipped
       FROM place a
         LEFT JOIN judged j ON j.appliance_id = a.id
       GROUP BY GROUPING SETS ((a.school, a.id, a.place), (a.school))
       ORDER BY a.school, grouping(a.id) DESC, a.id`,
      [today, from, to, school ?? null],
    );
    return r.rows.map((x) => ({
      school: String(x.school),
      applianceId: typeof x.appliance_id === 'string' ? x.appliance_id : null,
      place: x.appliance_id === null ? {} : ((x.place ?? {}) as Record<string, unknown>),
      today: sums(x, 'today'),
      term: sums(x, 'term'),
      skipped: Number(x.skipped ?? 0),
    }));
  }
}
