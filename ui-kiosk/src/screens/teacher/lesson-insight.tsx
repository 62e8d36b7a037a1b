import { t, formatDateTime } from '../../i18n.js';
import { useApiData } from '../../hooks.js';
import type { ResponseOf } from '../../api.js';
import type { VOICE_MODES } from '../../../../edge/messages.js';

type LessonView = ResponseOf<'GET /api/v1/lessons'>[number];
type Questioning = NonNullable<LessonView['questioning']>;
type Wait = Questioning['wt1'];
type VoiceMode = (typeof VOICE_MODES)[number];

const secs = (x: number | null): string => (x === null ? '–' : t('insight.seconds', { s: x.toFixed(1) }));
const pct = (x: number | null): string => (x === null ? '–' : `${Math.round(x * 100)}%`);
const BIN_KEYS = ['insight.bin0', 'insight.bin1', 'insight.bin2', 'insight.bin3', 'insight.bin5'] as const;

/**
 * The questioning figures of a lesson beside its S-T curve: wait times 1 and 2 with their
 * distributions, the question-and-answer episodes, and the classroom modes per interval. Timing of
 * speech only: no words were recognised.
 */
export function QuestioningCard({
  q,
  voices,
  intervalS,
}: {
  q: Questioning | null;
  voices: (VoiceMode | null)[];
  intervalS: number;
}) {
  return (
    <section class="card questioning" data-testid="lesson-questioning">
      <h3>{t('insight.title')}</h3>
      {q === null ? (
        <p>{t('insight.none')}</p>
      ) : (
        <>
          <div class="waits">
            <WaitBlock testid="wt1" title={t('insight.wt1')} explain={t('insight.wt1Explain')} w={q.wt1} />
            <WaitBlock testid="wt2" title={t('insight.wt2')} explain={t('insight.wt2Explain')} w={q.wt2} />
          </div>
          <p data-testid="episodes" data-count={q.episodes}>
            {t('insight.episodes', {
              n: q.episodes,
              rate: q.episodesPer10Min === null ? '–' : q.episodesPer10Min.toFixed(1),
              median: secs(q.episodeMedianS),
            })}
          </p>
        </>
      )}
      <h4>{t('insight.modes')}</h4>
      <ModeStrip voices={voices} intervalS={intervalS} />
      {q && (
        <p data-testid="mode-shares">
          {t('insight.modeShares', {
            single: pct(q.modeShares.single),
            multiple: pct(q.modeShares.multiple),
            none: pct(q.modeShares.none),
          })}
        </p>
      )}
      <p class="hint">{t('insight.rowe')}</p>
      <p class="hint">{t('insight.method')}</p>
    </section>
  );
}

function WaitBlock({ testid, title, explain, w }: { testid: string; title: string; explain: string; w: Wait }) {
  const max = Math.max(1, ...w.histogram);
  return (
    <div class="wait" data-testid={testid} data-n={w.n} data-median={w.medianS ?? ''}>
      <h4>{title}</h4>
      <p class="wait-main">
        {w.n === 0
          ? t('insight.noWaits')
          : t('insight.waitMedian', { median: secs(w.medianS), n: w.n, share: pct(w.atLeast3sShare) })}
      </p>
      <div class="wait-bars" aria-label={title}>
        {w.histogram.map((c, i) => (
          <div class={`wait-bar${i >= 3 ? ' long' : ''}`}>
            <span class="count">{c}</span>
            <span class="bar" style={{ height: `${Math.round((c / max) * 60)}px` }} />
            <span class="bin">{t(BIN_KEYS[i]!)}</span>
          </div>
        ))}
      </div>
      <p class="hint">{explain}</p>
    </div>
  );
}

const MODE_LETTER: Record<VoiceMode, string> = { single: '1', multiple: 'M', none: '-' };

/** One cell per interval, coloured by mode, with minutes below every 10 minutes. */
export function ModeStrip({ voices, intervalS }: { voices: (VoiceMode | null)[]; intervalS: number }) {
  const perTen = Math.max(1, Math.round(600 / intervalS));
  return (
    <div>
      <div
        class="mode-strip"
        data-testid="mode-strip"
        data-modes={voices.map((v) => (v ? MODE_LETTER[v] : '?')).join('')}
      >
        {voices.map((v, i) => (
          <span
            class={`cell ${v ?? 'uncoded'}`}
            title={`${Math.round((i * intervalS) / 60)}′ ${v ? t(`insight.mode.${v}`) : t('insight.uncoded')}`}
          >
            {i > 0 && i % perTen === 0 ? <em>{Math.round((i * intervalS) / 60)}′</em> : null}
          </span>
        ))}
      </div>
      <p class="legend">
        {(['single', 'multiple', 'none'] as const).map((m) => (
          <>
            <span class={`key mode-${m}`} /> {t(`insight.mode.${m}`)}
          </>
        ))}
        {voices.includes(null) && (
          <>
            <span class="key mode-uncoded" /> {t('insight.uncoded')}
          </>
        )}
      </p>
    </div>
  );
}

/**
 * A teacher's own lessons over time: talk share, wait times, episodes and modes, one row a lesson
 * and a line for the wait time. Only they (and admins) see it; it compares a teacher with their
 * own earlier lessons, never with colleagues.
 */
export function LessonTrends({
  onReport,
  onBack,
  teacher,
}: {
  onReport?: (id: number) => void;
  onBack?: () => void;
  /** An admin's choice; a teacher always gets their own. */
  teacher?: string;
}) {
  const { data, error } = useApiData('GET /api/v1/lessons/trends', {
    query: teacher === undefined ? { days: 120 } : { days: 120, teacher },
  });
  const lessons = (data?.lessons ?? []).filter((l) => l.questioning !== null || l.rt !== null);
  return (
    <div class="lesson-screen" data-testid="lesson-trends">
      {onBack && (
        <div class="row report-actions no-print">
          <button type="button" class="btn big" data-testid="lesson-trends-back" onClick={onBack}>
            {t('lesson.back')}
          </button>
        </div>
      )}
      {teacher === undefined && (
        <>
          <h2>{t('insight.trendsTitle')}</h2>
          <p class="hint">{t('insight.trendsPrivacy')}</p>
        </>
      )}
      {error && <p class="error">{error}</p>}
      {data && lessons.length === 0 && <p data-testid="lesson-trends-empty">{t('insight.trendsNone')}</p>}
      {lessons.length > 0 && (
        <>
          <section class="card">
            <h3>{t('insight.trendWt1')}</h3>
            <TrendLine lessons={lessons} />
          </section>
          <table class="table trends">
            <thead>
              <tr>
                <th>{t('insight.col.date')}</th>
                <th>{t('insight.col.teacherShare')}</th>
                <th>{t('insight.col.mode')}</th>
                <th>{t('insight.col.wt1')}</th>
                <th>{t('insight.col.wt1Long')}</th>
                <th>{t('insight.col.wt2')}</th>
                <th>{t('insight.col.episodes')}</th>
                <th>{t('insight.col.modes')}</th>
              </tr>
            </thead>
            <tbody>
              {[...lessons].reverse().map((l) => (
                <tr data-testid={`trend-row-${l.id}`}>
                  <td>
                    {onReport ? (
                      <button type="button" class="btn" onClick={() => onReport(l.id)}>
                        {lessonName(l)}
                      </button>
                    ) : (
                      lessonName(l)
                    )}
                  </td>
                  <td>{pct(talkShare(l))}</td>
                  <td>{l.mode ? t(`lesson.mode.${l.mode}`) : '–'}</td>
                  <td>{secs(l.questioning?.wt1.medianS ?? null)}</td>
                  <td>{pct(l.questioning?.wt1.atLeast3sShare ?? null)}</td>
                  <td>{secs(l.questioning?.wt2.medianS ?? null)}</td>
                  <td>{l.questioning?.episodesPer10Min?.toFixed(1) ?? '–'}</td>
                  <td>
                    {l.questioning
                      ? t('insight.modeSharesShort', {
                          single: pct(l.questioning.modeShares.single),
                          multiple: pct(l.questioning.modeShares.multiple),
                          none: pct(l.questioning.modeShares.none),
                        })
                      : '–'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="hint">{t('insight.trendsExplain')}</p>
        </>
      )}
    </div>
  );
}

const lessonName = (l: LessonView): string =>
  `${formatDateTime(l.startedAt)} ${l.period ? t('lesson.periodShort', { n: l.period.n }) : ''}`;

function talkShare(l: LessonView): number | null {
  const all = l.teacherTalkS + l.studentTalkS;
  return all > 0 ? l.teacherTalkS / all : null;
}

/** Median wait time 1 per lesson, in order, against the 3 s line Rowe recommends. */
function TrendLine({ lessons }: { lessons: LessonView[] }) {
  const w = 520;
  const h = 160;
  const vals = lessons.map((l) => l.questioning?.wt1.medianS ?? null);
  const top = Math.max(4, ...vals.map((v) => v ?? 0));
  const x = (i: number): number => 36 + (lessons.length === 1 ? 0.5 : i / (lessons.length - 1)) * (w - 50);
  const y = (s: number): number => 10 + (1 - s / top) * (h - 40);
  const pts = vals.map((v, i) => (v === null ? null : ([x(i), y(v)] as const))).filter((p) => p !== null);
  return (
    <svg class="headup-line" viewBox={`0 0 ${w} ${h}`} data-testid="trend-wt1" data-points={pts.length}>
      <line x1={36} y1={y(0)} x2={w - 10} y2={y(0)} class="axis" />
      <line x1={36} y1={y(0)} x2={36} y2={y(top)} class="axis" />
      <line x1={36} y1={y(3)} x2={w - 10} y2={y(3)} class="target" />
      <text x={4} y={y(3) + 4} class="axis-label">
        3 {t('insight.secondsUnit')}
      </text>
      <text x={14} y={y(0) + 4} class="axis-label">
        0
      </text>
      <polyline points={pts.map(([a, b]) => `${a},${b}`).join(' ')} class="curve" />
      {pts.map(([a, b]) => (
        <circle cx={a} cy={b} r={3} class="dot" />
      ))}
    </svg>
  );
}
