import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { startPostgres } from '../helpers/postgres.js';
import type { FigureGroup } from './figures.js';
import { measured, percentile } from './guard.js';

const SCHOOLS = 100;
/** A term: about 100 days of hourly heartbeat history per appliance (12 million rows at 5 000). */
const TERM_DAYS = 100;
const REQUESTS = 40;
const PASSWORD = 'bench-Passw0rd';

/** A heartbeat status as an appliance sends it: 14 components, 9 streams, about 2 kB. */
const STATUS_SQL = `jsonb_build_object(
  'sentAt', (extract(epoch FROM now()) * 1000)::bigint, 'version', '1.4.' || (i % 3), 'uptimeS', 86400,
  'components', (SELECT jsonb_agg(jsonb_build_object('name', 'component-' || k, 'kind', 'kind-' || k,
     'state', CASE WHEN k = 1 AND i % 50 = 0 THEN 'degraded' ELSE 'running' END)) FROM generate_series(1, 14) k),
  'disk', jsonb_build_object('freeBytes', 20000000000 + i, 'totalBytes', 32000000000),
  'flash', jsonb_build_object('writtenBytesPerDay', 40000000),
  'streams', (SELECT jsonb_object_agg('stream-' || k, jsonb_build_object('backlog', i % 7, 'lagS', i % 90, 'quarantined', 0))
     FROM generate_series(1, 9) k),
  'configVersion', 3,
  'place', jsonb_build_object('name', '教室 ' || i, 'grade', '三年级', 'room', 'A-' || i))`;

/** A console session's cookie for a bench account. */
async function consoleLogin(base: string, username: string): Promise<string> {
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`bench login of ${username}: HTTP ${login.status}`);
  return (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

/**
 * `district_console_p95_ms`: the district IT fleet page (`GET /console/api/v1/fleet`, its first
 * page of 200 of 5 000 appliances) against a district with a term of heartbeat history, server time
 * plus transfer, measured from a client on the same machine. `district_console_p95_ms_50000`: the
 * same page of 50 000 appliances in 1 000 schools, without the history (the page does not read it;
 * a term of it would take about 20 minutes to seed).
 */
function consoleFleet(appliances: number, historyDays: number, p95: string, p50: string): FigureGroup {
  const SCHOOLS_HERE = appliances > 5000 ? SCHOOLS * 10 : SCHOOLS;
  return {
    figures: [p95, p50],
    async run() {
      const pg = await startPostgres();
      const r = new DistrictReceiver({ databaseUrl: pg.url });
      try {
        await r.migrate();
        await r.pool.query(
          `INSERT INTO appliances (id, public_key, school) SELECT 'room-' || i, 'k', 'school-' || (i % ${SCHOOLS_HERE}) FROM generate_series(1, ${appliances}) i`,
        );
        await r.pool.query(
          `INSERT INTO appliance_status (appliance_id, received_at, sent_at, version, status)
         SELECT 'room-' || i, now() - (i % 30) * interval '1 minute', now(), '1.4.' || (i % 3), ${STATUS_SQL}
         FROM generate_series(1, ${appliances}) i`,
        );
        await r.pool.query(
          `INSERT INTO stream_state (appliance_id, stream, committed_seq)
         SELECT 'room-' || i, 'stream-' || k, i * 100 + k FROM generate_series(1, ${appliances}) i, generate_series(1, 9) k`,
        );
        await r.pool.query(
          `INSERT INTO appliance_status_history (appliance_id, received_at, status)
         SELECT 'room-' || i, now() - h * interval '1 hour',
           jsonb_build_object('version', '1.4.0', 'notRunning', '[]'::jsonb, 'diskFreeBytes', 20000000000, 'lagS', 0)
         FROM generate_series(1, ${appliances}) i, generate_series(1, ${historyDays * 24}) h`,
        );
        await r.pool.query('ANALYZE');
        await new ConsoleStore(r.pool).putUser(
          { username: 'bench', role: 'district-it', school: '' },
          await hashSecret(PASSWORD),
        );
        const c = await r.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
        const base = `http://127.0.0.1:${c.port}/console/api/v1`;
        const cookie = await consoleLogin(base, 'bench');
        const times: number[] = [];
        for (let i = 0; i < REQUESTS + 3; i++) {
          const t0 = performance.now();
          const res = await fetch(`${base}/fleet`, { headers: { cookie } });
          const body = (await res.json()) as { appliances?: unknown[]; counts?: { total: number } };
          const ms = performance.now() - t0;
          measured('appliances on the fleet page', body.appliances?.length ?? 0);
          if (body.counts?.total !== appliances)
            throw new Error(`the fleet page counted ${body.counts?.total} appliances; expected ${appliances}`);
          if (i >= 3) times.push(ms);
        }
        return {
          [p95]: Math.round(percentile('fleet page times', times, 95)),
          [p50]: Math.round(percentile('fleet page times', times, 50)),
        };
      } finally {
        await r.close();
        await pg.stop();
      }
    },
  };
}

/**
 * `district_research_p95_ms`: the teaching-research page (`GET /console/api/v1/research/lessons`,
 * the whole district, its default 30 days) over a term of 5 000 classrooms' lessons (7 a school
 * day, 100 days: 2.5 million lesson records) in day partitions that also hold 10 million readings:
 * the page must find the lessons without reading the readings. `_term` is the widest range a
 * request may ask for (92 days).
 */
const researchTerm: FigureGroup = {
  figures: ['district_research_p95_ms', 'district_research_term_ms', 'district_environment_term_ms'],
  async run() {
    const APPLIANCES = 5000;
    const pg = await startPostgres();
    const r = new DistrictReceiver({ databaseUrl: pg.url });
    try {
      await r.migrate();
      await r.pool.query(
        `INSERT INTO appliances (id, public_key, school) SELECT 'room-' || i, 'k', 'school-' || (i % ${SCHOOLS}) FROM generate_series(1, ${APPLIANCES}) i`,
      );
      await r.pool.query(
        `INSERT INTO appliance_status (appliance_id, received_at, sent_at, version, status)
         SELECT 'room-' || i, now(), now(), '1.4.0', ${STATUS_SQL} || jsonb_build_object('place', jsonb_build_object('grade', (1 + i % 6) || '年级'))
         FROM generate_series(1, ${APPLIANCES}) i`,
      );
      for (let d = 0; d < TERM_DAYS; d++) await r.pool.query('SELECT records_partition(current_date - $1::int)', [d]);
      // Weekdays only, as lessons are; readings on every day, 100 000 a day.
      await r.pool.query(
        `INSERT INTO records (appliance_id, stream, seq, day, payload)
         SELECT 'room-' || i, 'lessons', d * 10 + k, current_date - d,
           jsonb_build_object('teacherTalkS', 1200 + (i * k) % 900, 'studentTalkS', 300 + (i + k) % 600, 'rt', 0.6, 'ch', 0.3,
             'mode', (ARRAY['lecture','practice','dialogue','mixed'])[1 + (i + k) % 4], 'headUpMean', 0.7,
             'questioning', jsonb_build_object('wt1', jsonb_build_object('medianS', 1 + (i % 30) / 10.0, 'atLeast3sShare', 0.2),
               'wt2', jsonb_build_object('medianS', 1.5), 'episodesPer10Min', 2.5))
         FROM generate_series(0, ${TERM_DAYS - 1}) d, generate_series(1, ${APPLIANCES}) i, generate_series(1, 7) k
         WHERE extract(isodow FROM current_date - d) < 6`,
      );
      await r.pool.query(
        `INSERT INTO records (appliance_id, stream, seq, day, payload)
         SELECT 'room-' || (1 + j % ${APPLIANCES}), 'readings', d * 100000 + j, current_date - d,
           jsonb_build_object('device', 'co2-1', 'metric', 'co2_ppm', 'value', 600 + j % 400, 'ts', j)
         FROM generate_series(0, ${TERM_DAYS - 1}) d, generate_series(1, 100000) j`,
      );
      // Each school day's environment summary (env-days), sent after each of its 7 lessons: the
      // district keeps them all and reads the latest of each day.
      await r.pool.query(
        `INSERT INTO records (appliance_id, stream, seq, day, payload)
         SELECT 'room-' || i, 'env-days', d * 10 + k, current_date - d,
           jsonb_build_object('lessons', k, 'madeAt', k,
             'limits', jsonb_build_object('co2Ppm', 1000, 'pm25Ugm3', 50, 'illuminanceMinLx', 300),
             'metrics', jsonb_build_object(
               'co2_ppm', jsonb_build_object('lessonMinutes', 40 * k, 'minutesWithData', 40 * k, 'minutesOver', (i % 9) * k, 'mean', 800, 'max', 1300),
               'pm25_ugm3', jsonb_build_object('lessonMinutes', 40 * k, 'minutesWithData', 40 * k, 'minutesOver', 0, 'mean', 20, 'max', 40),
               'illuminance_lx', jsonb_build_object('lessonMinutes', 40 * k, 'minutesWithData', 40 * k, 'minutesOver', i % 3, 'mean', 420, 'max', 700),
               'noise_dba', jsonb_build_object('lessonMinutes', 40 * k, 'minutesWithData', 40 * k, 'minutesOver', null, 'mean', 58, 'max', 82)))
         FROM generate_series(0, ${TERM_DAYS - 1}) d, generate_series(1, ${APPLIANCES}) i, generate_series(1, 7) k
         WHERE extract(isodow FROM current_date - d) < 6`,
      );
      await r.pool.query('ANALYZE');
      await new ConsoleStore(r.pool).putUser(
        { username: 'bench', role: 'research', school: '' },
        await hashSecret(PASSWORD),
      );
      await new ConsoleStore(r.pool).putUser(
        { username: 'bench-env', role: 'environment', school: '' },
        await hashSecret(PASSWORD),
      );
      const c = await r.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
      const base = `http://127.0.0.1:${c.port}/console/api/v1`;
      const cookie = await consoleLogin(base, 'bench');
      const day = (back: number): string => new Date(Date.now() - back * 86_400_000).toISOString().slice(0, 10);
      const page = async (from: string): Promise<number> => {
        const t0 = performance.now();
        const res = await fetch(`${base}/research/lessons?from=${from}&to=${day(0)}`, { headers: { cookie } });
        const body = (await res.json()) as { groups?: { lessons: number }[] };
        const ms = performance.now() - t0;
        measured('lessons on the research page', body.groups?.reduce((n, g) => n + g.lessons, 0) ?? 0);
        return ms;
      };
      const times: number[] = [];
      for (let i = 0; i < 13; i++) {
        const ms = await page(day(29));
        if (i >= 3) times.push(ms);
      }
      const term: number[] = [];
      for (let i = 0; i < 4; i++) term.push(await page(day(91)));
      // The environment page of the whole district: today and the term so far (up to 92 days here).
      const envCookie = await consoleLogin(base, 'bench-env');
      const envTimes: number[] = [];
      for (let i = 0; i < 4; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/environment?day=${day(0)}&from=${day(91)}&to=${day(0)}`, {
          headers: { cookie: envCookie },
        });
        const body = (await res.json()) as { schools?: { classrooms: unknown[] }[] };
        envTimes.push(performance.now() - t0);
        measured('classrooms on the environment page', body.schools?.reduce((n, x) => n + x.classrooms.length, 0) ?? 0);
      }
      return {
        district_research_p95_ms: Math.round(percentile('research page times', times, 95)),
        district_research_term_ms: Math.round(percentile('research term times', term.slice(1), 50)),
        district_environment_term_ms: Math.round(percentile('environment term times', envTimes.slice(1), 50)),
      };
    } finally {
      await r.close();
      await pg.stop();
    }
  },
};

export const districtFigures: FigureGroup[] = [
  researchTerm,
  consoleFleet(5000, TERM_DAYS, 'district_console_p95_ms', 'district_console_p50_ms'),
  consoleFleet(50_000, 0, 'district_console_p95_ms_50000', 'district_console_p50_ms_50000'),
];
