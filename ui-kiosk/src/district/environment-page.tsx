import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type EnvironmentAnswer, type EnvironmentFigures } from './api.js';
import { w } from './words.js';

type School = EnvironmentAnswer['schools'][number];
type Classroom = School['classrooms'][number];
type Period = 'today' | 'term';

/** Today in the browser's time zone (the district's office), as the appliances count their days. */
function localDay(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

const pct = (x: number | null): string => (x === null ? '—' : `${Math.round(x * 100)} %`);
const db = (x: number | null): string => (x === null ? '—' : `${Math.round(x)} ${w('noiseUnit')}`);

const BAND_WORD = { green: 'bandGreen', amber: 'bandAmber', red: 'bandRed', none: 'bandNone' } as const;

/** The figures of a cell or a summary row, in words: the colour is never the only carrier. */
function Figures({ f }: { f: EnvironmentFigures }) {
  return (
    <dl class="env-figures">
      <dt>{w('co2Share')}</dt>
      <dd data-testid="co2">{pct(f.co2.share)}</dd>
      <dt>{w('pm25Share')}</dt>
      <dd data-testid="pm25">{pct(f.pm25.share)}</dd>
      <dt>{w('lightShare')}</dt>
      <dd data-testid="light">{pct(f.light.share)}</dd>
      <dt>{w('noiseMean')}</dt>
      <dd data-testid="noise">{db(f.noise.meanDba)}</dd>
    </dl>
  );
}

/** A classroom's name in its grade's row: its class, else the box's name, else its room or id. */
function cellName(c: Classroom): string {
  return c.klass || c.name || c.room || c.applianceId;
}

function detail(c: Classroom, f: EnvironmentFigures): string {
  return [
    `${c.grade}${cellName(c)}${c.room ? ` · ${c.room}` : ''}`,
    `${w('lessonMinutesCol')} ${f.lessonMinutes}, ${w('withData')} ${f.co2.minutesWithData}`,
    `${w('co2Share')} ${pct(f.co2.share)} (${f.co2.minutesOver})`,
    `${w('pm25Share')} ${pct(f.pm25.share)} (${f.pm25.minutesOver})`,
    `${w('lightShare')} ${pct(f.light.share)} (${f.light.minutesOver})`,
    `${w('noiseMean')} ${db(f.noise.meanDba)}`,
  ].join('\n');
}

/** One school's floor grid: a row per grade, a cell per class, coloured by the CO₂ share. */
function SchoolGrid({ s, period }: { s: School; period: Period }) {
  const grades = new Map<string, Classroom[]>();
  for (const c of s.classrooms) grades.set(c.grade, [...(grades.get(c.grade) ?? []), c]);
  const rows = [...grades].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b, 'zh-CN')));
  const total = s[period];
  return (
    <section class="env-school" data-school={s.school}>
      <h3>{s.school}</h3>
      <div class={`env-summary band-${total.band}`} data-testid="school-summary">
        <strong>{w('schoolSummary')}</strong>
        <span class="band-word">{w(BAND_WORD[total.band])}</span>
        <Figures f={total} />
        <span class="muted">
          {w('classroomsCol')} {s.classrooms.length} · {w('lessonMinutesCol')} {total.lessonMinutes}
        </span>
      </div>
      {s.classrooms.length === 0 && <p class="muted">{w('envNoClassrooms')}</p>}
      <table class="env-grid">
        <tbody>
          {rows.map(([grade, cells]) => (
            <tr data-grade={grade}>
              <th scope="row">{grade || w('noGrade')}</th>
              <td>
                <ul>
                  {cells
                    .sort((a, b) => cellName(a).localeCompare(cellName(b), 'zh-CN'))
                    .map((c) => {
                      const f = c[period];
                      return (
                        <li
                          class={`env-cell band-${f.band}`}
                          data-appliance={c.applianceId}
                          data-band={f.band}
                          title={detail(c, f)}
                        >
                          <span class="env-name" translate={false}>
                            {cellName(c)}
                          </span>
                          <span class="band-word">{w(BAND_WORD[f.band])}</span>
                          <Figures f={f} />
                        </li>
                      );
                    })}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/**
 * The environment page ("一张图"): per school, its classrooms' share of lesson time over the
 * national limits, today or this term, as a floor grid (grades by classes); the appliances judged
 * each lesson minute, the district adds them up.
 */
export function EnvironmentPage() {
  const [period, setPeriod] = useState<Period>('today');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [data, setData] = useState<EnvironmentAnswer | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    const day = localDay();
    void consoleApi
      .environment({ day, ...(from ? { from } : {}), ...(to ? { to } : {}) })
      .then(setData, (e: Error) => setError(`${w('loadFailed')}: ${e.message}`));
  }, [from, to]);
  return (
    <section data-testid="environment">
      <h2>{w('envMap')}</h2>
      <p class="muted">{w('envIntro')}</p>
      <div class="filters">
        <span role="group" aria-label={w('envPeriod')} class="switch">
          {(['today', 'term'] as const).map((p) => (
            <button type="button" aria-pressed={period === p} data-period={p} onClick={() => setPeriod(p)}>
              {w(p === 'today' ? 'envToday' : 'envTerm')}
            </button>
          ))}
        </span>
        {period === 'term' && data && (
          <span>
            {w('termRange')}{' '}
            <label>
              {w('from')}{' '}
              <input type="date" value={from || data.from} onChange={(e) => setFrom(e.currentTarget.value)} />
            </label>{' '}
            <label>
              {w('to')} <input type="date" value={to || data.to} onChange={(e) => setTo(e.currentTarget.value)} />
            </label>
          </span>
        )}
        {period === 'today' && data && <span class="muted">{data.day}</span>}
      </div>
      <p class="env-legend">
        {w('envLegend')}
        {(['green', 'amber', 'red', 'none'] as const).map((b) => (
          <span class={`env-key band-${b}`}>{w(BAND_WORD[b])}</span>
        ))}
      </p>
      {error && <p class="error">{error}</p>}
      {data && data.skipped > 0 && <p class="muted">{w('envSkipped').replace('{n}', String(data.skipped))}</p>}
      {data?.schools.map((s) => (
        <SchoolGrid s={s} period={period} />
      ))}
    </section>
  );
}
