import { useContext, useEffect, useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { t, formatDateTime, formatClock } from '../../i18n.js';
import { ConfirmButton } from '../../components/confirm.js';
import { notify } from '../../components/notice.js';
import type { TEACHING_MODES } from '../../../../edge/messages.js';
import { useObservable } from '../../store.js';
import { reportError, useApiData } from '../../hooks.js';
import { LiveContext } from './live-context.js';
import type { LiveClient } from '../../live.js';
import { LessonTrends, ModeStrip, QuestioningCard } from './lesson-insight.js';

type Sample = ResponseOf<'GET /api/v1/lessons/:id'>['samples'][number];
type LessonView = ResponseOf<'GET /api/v1/lessons'>[number];

/** The lesson under way (talk-time bar, S-T curve, head-up line, live) and the reports of past lessons. */
export function LessonScreen() {
  const live = useContext(LiveContext);
  const [report, setReport] = useState<number | 'trends' | undefined>(undefined);
  const [fromTrends, setFromTrends] = useState(false);
  if (!live) return null;
  if (report === 'trends')
    return (
      <LessonTrends
        onReport={(id) => {
          setFromTrends(true);
          setReport(id);
        }}
        onBack={() => setReport(undefined)}
      />
    );
  return report === undefined ? (
    <CurrentLesson
      live={live}
      onReport={(id) => {
        setFromTrends(false);
        setReport(id);
      }}
      onTrends={() => setReport('trends')}
    />
  ) : (
    <LessonReport id={report} onBack={() => setReport(fromTrends ? 'trends' : undefined)} />
  );
}

const pct = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : `${Math.round(x * 100)}`);
const modeText = (m: (typeof TEACHING_MODES)[number] | null): string => (m ? t(`lesson.mode.${m}`) : '–');

/** What the teacher calls the lesson: 第 3 节（09:50–10:30）, or when it started outside the timetable. */
export function periodName(l: Pick<LessonView, 'period' | 'startedAt'>, short = false): string {
  if (!l.period) return t('lesson.offTimetable', { time: formatClock(l.startedAt).slice(0, 5) });
  return short ? t('lesson.periodShort', { n: l.period.n }) : t('lesson.period', l.period);
}

/**
 * Head-up now: counts as counts; the rate only when it means something (not more faces than
 * students present), with where the number present comes from.
 */
function headUpNow(l: {
  faces: number | null;
  present: number;
  presentFrom: 'check' | 'classSize';
  headUp: number | null;
}): string {
  if (l.faces === null) return t('lesson.noCamera');
  const counts = t('lesson.headUpCounts', {
    faces: l.faces,
    present: l.present,
    from: t(`lesson.presentFrom.${l.presentFrom}`),
  });
  if (l.faces > l.present) return `${counts} · ${t('lesson.headUpTooMany')}`;
  return `${counts} · ${t('lesson.headUpRate', { rate: pct(l.headUp) })}`;
}

function CurrentLesson({
  live,
  onReport,
  onTrends,
}: {
  live: LiveClient;
  onReport: (id: number) => void;
  onTrends: () => void;
}) {
  const state = useObservable(live.state);
  const lesson = state.lesson;
  const [error, setError] = useState<string | undefined>(undefined);
  const [earlier, setEarlier] = useState<Sample[]>([]);
  const past = useApiData('GET /api/v1/lessons', { query: { limit: 10 } });
  // Samples from before this panel connected come from the API; later ones arrive live.
  useEffect(() => {
    setEarlier([]);
    if (!lesson) return;
    void api('GET /api/v1/lessons/:id', { params: { id: lesson.id } }).then((r) => setEarlier(r.samples), reportError);
  }, [lesson?.id]);
  const samples = mergeSamples(
    earlier,
    state.lessonSamples.filter((s) => s.lessonId === lesson?.id),
  );
  const act = async (key: 'POST /api/v1/lessons/start' | 'POST /api/v1/lessons/current/end') => {
    setError(undefined);
    try {
      await api(key);
      notify(t(key === 'POST /api/v1/lessons/start' ? 'lesson.started' : 'lesson.ended'));
      past.reload();
    } catch (err) {
      // 409: the timetable (or another panel) started or ended the lesson meanwhile.
      setError(err instanceof ApiError && err.status === 409 ? t('lesson.conflict') : reportError(err));
    }
  };
  if (!lesson) {
    return (
      <div class="lesson-screen">
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <p data-testid="lesson-none">{t('lesson.none')}</p>
        <button
          type="button"
          class="btn huge primary"
          data-testid="lesson-start"
          onClick={() => void act('POST /api/v1/lessons/start')}
        >
          {t('lesson.start')}
        </button>
        <PastLessons lessons={past.data ?? []} onReport={onReport} />
        <TrendsButton onTrends={onTrends} />
        <p class="hint">{t('lesson.privacy')}</p>
      </div>
    );
  }
  const l = state.lessonLive?.lessonId === lesson.id ? state.lessonLive : undefined;
  const elapsed = l?.elapsedS ?? (Date.now() - lesson.startedAt) / 1000;
  const teacher = l?.teacherS ?? lesson.teacherTalkS;
  const students = l?.studentS ?? lesson.studentTalkS;
  const codes = samples.filter((s) => s.code !== null).map((s) => s.code!);
  return (
    <div class="lesson-screen" data-testid="lesson-live" data-lesson={lesson.id}>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <div class="row">
        <h2 data-testid="lesson-title">
          {t('lesson.running', { period: periodName(lesson), minutes: Math.floor(elapsed / 60) })}
        </h2>
        <ConfirmButton
          testid="lesson-end"
          className="btn huge"
          label={t('lesson.end')}
          question={t('lesson.endQuestion')}
          confirmLabel={t('lesson.end')}
          onConfirm={() => void act('POST /api/v1/lessons/current/end')}
        />
      </div>
      <section class="card">
        <h3>{t('lesson.talk')}</h3>
        <TalkBar teacher={teacher} students={students} total={elapsed} />
        <p class="state" data-testid="speaking">
          {l?.speaking === 'teacher'
            ? t('lesson.speakingTeacher')
            : l?.speaking === 'student'
              ? t('lesson.speakingStudent')
              : '\u00a0'}
        </p>
      </section>
      <div class="lesson-charts">
        <section class="card">
          <h3>{t('lesson.stCurve')}</h3>
          <StCurve codes={codes} />
          <p data-testid="lesson-figures">{figures(l ?? lesson)}</p>
          <p class="hint">{t('lesson.figuresExplain')}</p>
        </section>
        <section class="card">
          <h3>{t('lesson.headUp')}</h3>
          <HeadUpLine samples={samples} startedAt={lesson.startedAt} />
          <p data-testid="headup-now">{l ? headUpNow(l) : t('lesson.noCamera')}</p>
        </section>
      </div>
      <section class="card">
        <h3>{t('insight.modes')}</h3>
        <ModeStrip voices={samples.map((s) => s.voice)} intervalS={lesson.sampleIntervalS} />
      </section>
      <p class="hint">{t('lesson.privacy')}</p>
    </div>
  );
}

function mergeSamples(a: Sample[], b: Sample[]): Sample[] {
  const byIdx = new Map<number, Sample>();
  for (const s of [...a, ...b]) byIdx.set(s.idx, s);
  return [...byIdx.values()].sort((x, y) => x.idx - y.idx);
}

/** Rt, Ch, the teaching mode and the turns, as the appliance computed them. */
function figures(f: {
  rt: number | null;
  ch: number | null;
  mode: (typeof TEACHING_MODES)[number] | null;
  turns: number;
}): string {
  if (f.rt === null || f.ch === null) return t('lesson.noFigures');
  return t('lesson.figures', { rt: f.rt.toFixed(2), ch: f.ch.toFixed(2), mode: modeText(f.mode), turns: f.turns });
}

function TalkBar({ teacher, students, total }: { teacher: number; students: number; total: number }) {
  const quiet = Math.max(0, total - teacher - students);
  const all = Math.max(1, teacher + students + quiet);
  const part = (x: number): string => `${((x / all) * 100).toFixed(1)}%`;
  const min = (x: number): string => t('lesson.minutes', { minutes: (x / 60).toFixed(1) });
  return (
    <div>
      <div
        class="talk-bar"
        data-testid="talk-bar"
        data-teacher={teacher.toFixed(1)}
        data-students={students.toFixed(1)}
      >
        <span class="teacher" style={{ width: part(teacher) }} />
        <span class="students" style={{ width: part(students) }} />
        <span class="quiet" style={{ width: part(quiet) }} />
      </div>
      <p class="legend">
        <span class="key teacher" /> {t('lesson.teacher')} {min(teacher)} <span class="key students" />{' '}
        {t('lesson.students')} {min(students)} <span class="key quiet" /> {t('lesson.quiet')} {min(quiet)}
      </p>
    </div>
  );
}

/** Cumulative T (x) against cumulative S (y), drawn as the samples arrive. */
/** The S-T sequence as its letters (the appliance writes only T and S). */
export function stCodes(codes: string): ('T' | 'S')[] {
  return [...codes].filter((c): c is 'T' | 'S' => c === 'T' || c === 'S');
}

export function StCurve({ codes }: { codes: ('T' | 'S')[] }) {
  const n = Math.max(8, codes.length);
  const size = 240;
  const pts: [number, number][] = [[0, 0]];
  for (const c of codes) {
    const [x, y] = pts[pts.length - 1]!;
    pts.push(c === 'T' ? [x + 1, y] : [x, y + 1]);
  }
  const sx = (x: number): number => 30 + (x / n) * size;
  const sy = (y: number): number => 10 + size - (y / n) * size;
  return (
    <svg class="st-curve" viewBox={`0 0 ${size + 40} ${size + 40}`} data-testid="st-curve" data-points={pts.length}>
      <line x1={sx(0)} y1={sy(0)} x2={sx(n)} y2={sy(0)} class="axis" />
      <line x1={sx(0)} y1={sy(0)} x2={sx(0)} y2={sy(n)} class="axis" />
      <line x1={sx(0)} y1={sy(0)} x2={sx(n)} y2={sy(n)} class="diagonal" />
      <text x={sx(n) - 70} y={sy(0) + 22} class="axis-label">
        {t('lesson.stAxisT')}
      </text>
      <text x={sx(0) + 4} y={sy(n) + 4} class="axis-label">
        {t('lesson.stAxisS')}
      </text>
      <polyline points={pts.map(([x, y]) => `${sx(x)},${sy(y)}`).join(' ')} class="curve" />
    </svg>
  );
}

/** Head-up rate per sample, 0-100 %, against minutes since the lesson began (ticks every 10 minutes). */
export function HeadUpLine({ samples, startedAt }: { samples: Sample[]; startedAt: number }) {
  const w = 320;
  const h = 170;
  const pts = samples.filter((s) => s.headUp !== null);
  const lastMin = Math.max(40, ...samples.map((s) => (s.at - startedAt) / 60_000));
  const x = (min: number): number => 34 + (min / lastMin) * (w - 44);
  const y = (r: number): number => 10 + (1 - r) * (h - 40);
  const ticks = Array.from({ length: Math.floor(lastMin / 10) + 1 }, (_, i) => i * 10);
  return (
    <svg class="headup-line" viewBox={`0 0 ${w} ${h}`} data-testid="headup-line" data-points={pts.length}>
      <line x1={x(0)} y1={y(0)} x2={x(lastMin)} y2={y(0)} class="axis" />
      <line x1={x(0)} y1={y(0)} x2={x(0)} y2={y(1)} class="axis" />
      <text x={2} y={y(1) + 4} class="axis-label">
        100%
      </text>
      <text x={14} y={y(0) + 4} class="axis-label">
        0
      </text>
      {ticks.map((m) => (
        <text x={x(m) - 6} y={h - 8} class="axis-label">
          {m}
        </text>
      ))}
      <text x={w - 44} y={y(0) - 6} class="axis-label">
        {t('lesson.timeAxis')}
      </text>
      <polyline points={pts.map((s) => `${x((s.at - startedAt) / 60_000)},${y(s.headUp!)}`).join(' ')} class="curve" />
      {/* Points as dots too: a short lesson's few samples are no line. */}
      {pts.map((s) => (
        <circle cx={x((s.at - startedAt) / 60_000)} cy={y(s.headUp!)} r={2.5} class="dot" />
      ))}
    </svg>
  );
}

function PastLessons({ lessons, onReport }: { lessons: LessonView[]; onReport: (id: number) => void }) {
  const done = lessons.filter((l) => l.endedAt !== null);
  if (done.length === 0) return null;
  return (
    <section class="card">
      <h3>{t('lesson.reports')}</h3>
      <ul class="lesson-list">
        {done.map((l) => (
          <li>
            <button type="button" class="btn big" data-testid={`lesson-report-${l.id}`} onClick={() => onReport(l.id)}>
              {formatDateTime(l.startedAt)} · {periodName(l, true)} ·{' '}
              {l.mode ? modeText(l.mode) : t('lesson.noFigures')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function LessonReport({ id, onBack }: { id: number; onBack: () => void }) {
  const { data, error } = useApiData('GET /api/v1/lessons/:id', { params: { id } });
  return (
    <div class="lesson-screen" data-testid="lesson-report">
      <div class="row report-actions no-print">
        <button type="button" class="btn big" data-testid="lesson-report-back" onClick={onBack}>
          {t('lesson.back')}
        </button>
        <button type="button" class="btn big" data-testid="lesson-report-print" onClick={() => window.print()}>
          {t('lesson.print')}
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {data && (
        <>
          <h2 data-testid="lesson-report-title">
            {t('lesson.report')} · {formatDateTime(data.lesson.startedAt)} · {periodName(data.lesson)}
          </h2>
          <TalkBar
            teacher={data.lesson.teacherTalkS}
            students={data.lesson.studentTalkS}
            total={((data.lesson.endedAt ?? Date.now()) - data.lesson.startedAt) / 1000}
          />
          <div class="lesson-charts">
            <section class="card">
              <h3>{t('lesson.stCurve')}</h3>
              <StCurve codes={stCodes(data.lesson.codes)} />
              <p>{figures(data.lesson)}</p>
              <p class="hint">{t('lesson.stNote', { s: data.lesson.sampleIntervalS })}</p>
              <p class="hint">{t('lesson.figuresExplain')}</p>
            </section>
            <section class="card">
              <h3>{t('lesson.headUp')}</h3>
              <HeadUpLine samples={data.samples} startedAt={data.lesson.startedAt} />
              <p data-testid="lesson-report-headup">
                {data.lesson.headUpMean === null
                  ? t('lesson.headUpNone')
                  : t('lesson.headUpMean', { rate: pct(data.lesson.headUpMean) })}
              </p>
            </section>
          </div>
          <QuestioningCard
            q={data.lesson.questioning}
            voices={data.samples.map((s) => s.voice)}
            intervalS={data.lesson.sampleIntervalS}
          />
        </>
      )}
    </div>
  );
}

/** A teacher's own trends; an admin on the panel reads a teacher's in the admin console instead. */
function TrendsButton({ onTrends }: { onTrends: () => void }) {
  return (
    <button type="button" class="btn big" data-testid="lesson-trends-open" onClick={onTrends}>
      {t('insight.trendsOpen')}
    </button>
  );
}
