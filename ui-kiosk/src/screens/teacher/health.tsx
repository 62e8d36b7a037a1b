import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { api, type ResponseOf } from '../../api.js';
import {
  ABSENCE_REASONS,
  CLUSTER_RULES,
  SYMPTOMS,
  type AbsenceReason,
  type Symptom,
} from '../../../../edge/health/symptoms.js';
import type { LiveEvents } from '../../../../edge/messages.js';
import { formatDateTime, formatTime, t } from '../../i18n.js';
import { useObservable } from '../../store.js';
import { notify } from '../../components/notice.js';
import { ConfirmButton } from '../../components/confirm.js';
import { LiveContext } from './live-context.js';
import { healthError } from './health-errors.js';
import type { LiveClient } from '../../live.js';

/** The reasons a teacher gives at the door ('unknown' is what an absence nobody explained counts as). */
const REASONS = ['illness', 'personal', 'other'] as const satisfies readonly AbsenceReason[];

type Row = ResponseOf<'GET /api/v1/health/day'>[number];
type Measured = ResponseOf<'POST /api/v1/health/measure'>;
type Signal = LiveEvents['health.alert'];

const oneDecimal = (c: number): string => c.toFixed(1);
const symptomWords = (list: readonly Symptom[]): string => list.map((s) => t(`symptom.${s}`)).join(t('health.r.sep'));

/** The door check: tap a name or tap a card, measure, tick what the teacher sees and hears, save. */
export function HealthScreen() {
  const live = useContext(LiveContext);
  return live ? <HealthView live={live} /> : null;
}

function HealthView({ live }: { live: LiveClient }) {
  const state = useObservable(live.state);
  const [rows, setRows] = useState<Row[] | undefined>(undefined);
  const [selected, setSelected] = useState<number | undefined>(undefined);
  const [measured, setMeasured] = useState<Measured | undefined>(undefined);
  const [manual, setManual] = useState('');
  const [symptoms, setSymptoms] = useState<Symptom[]>([]);
  const [busy, setBusy] = useState(false);
  const [report, setReport] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'warn' | 'error'; text: string } | undefined>(undefined);
  // Which selection a measurement belongs to: a reading that comes back after the next student was
  // selected (a card tapped while measuring) is that earlier student's, and must not be saved as this one's.
  const selection = useRef(0);

  const load = () =>
    void api('GET /api/v1/health/day').then(setRows, (e: unknown) =>
      setMessage({ kind: 'error', text: healthError(e, 'day') }),
    );
  useEffect(load, []);
  // A card tapped at the reader selects the student.
  useEffect(
    () =>
      live.frames.subscribe((f) => {
        if (f?.type === 'health.identified') select(f.data.studentId);
      }),
    [live],
  );
  const select = (id: number): void => {
    selection.current++;
    setSelected(id);
    setMeasured(undefined);
    setManual('');
    setSymptoms([]);
    setMessage(undefined);
  };

  const measure = async () => {
    setBusy(true);
    const forSelection = selection.current;
    try {
      const m = await api('POST /api/v1/health/measure', { body: {} });
      if (forSelection !== selection.current) setMessage({ kind: 'warn', text: t('health.lateReading') });
      else setMeasured(m);
    } catch (err) {
      if (forSelection === selection.current) setMessage({ kind: 'error', text: healthError(err, 'measure') });
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    if (selected === undefined) return;
    const typed = manual.trim() === '' ? undefined : Number(manual);
    if (!measured && typed !== undefined && !Number.isFinite(typed)) {
      setMessage({ kind: 'error', text: t('health.err.tempNumber') });
      return;
    }
    const raw = measured?.objectC ?? typed;
    try {
      const c = await api('POST /api/v1/health/checks', {
        body: {
          studentId: selected,
          ...(raw !== undefined ? { tempRawC: raw } : {}),
          ...(measured ? { ambientC: measured.ambientC } : {}),
          symptoms,
        },
      });
      const fresh = await api('GET /api/v1/health/day');
      const due = fresh.find((r) => r.studentId === selected)?.remeasureDueAt ?? Date.now();
      const text =
        c.result === 'fever-pending'
          ? { kind: 'warn' as const, text: t('health.remeasure', { time: formatTime(due) }) }
          : c.result === 'fever-confirmed'
            ? { kind: 'error' as const, text: t('health.confirmed') }
            : c.result === 'fever-cleared'
              ? { kind: 'ok' as const, text: t('health.cleared') }
              : { kind: 'ok' as const, text: t(`status.${c.result}`) };
      setMessage(text);
      setSelected(undefined);
      setRows(fresh);
    } catch (err) {
      const due = rows?.find((r) => r.studentId === selected)?.remeasureDueAt;
      setMessage({ kind: 'error', text: healthError(err, 'save', due) });
    }
  };
  const absent = async (reason: AbsenceReason) => {
    if (selected === undefined) return;
    const who = rows?.find((r) => r.studentId === selected)?.name ?? '';
    const ticked = reason === 'illness' ? symptoms : [];
    try {
      await api('POST /api/v1/health/absences', {
        body: { studentId: selected, reason, ...(reason === 'illness' ? { symptoms } : {}) },
      });
      setSelected(undefined);
      setMessage(undefined);
      setRows(await api('GET /api/v1/health/day'));
      notify(
        ticked.length
          ? t('health.absenceSavedSymptoms', {
              name: who,
              reason: t(`reason.${reason}`),
              symptoms: symptomWords(ticked),
            })
          : t('health.absenceSaved', { name: who, reason: t(`reason.${reason}`) }),
      );
    } catch (err) {
      setMessage({ kind: 'error', text: healthError(err, 'absence') });
    }
  };

  if (report) return <DailyReportView onBack={() => setReport(false)} />;
  if (!rows)
    return message ? (
      <p class="error" role="alert" data-testid="health-message">
        {message.text}
      </p>
    ) : (
      <div class="loading" aria-busy="true" />
    );
  if (rows.length === 0) return <p class="hint">{t('health.noRoster')}</p>;
  const fever = rows.filter((r) => r.status === 'fever-pending' || r.status === 'fever-confirmed').length;
  const checked = rows.filter((r) => r.check).length;
  const absentN = rows.filter((r) => r.status === 'absent').length;
  const student = rows.find((r) => r.studentId === selected);
  // Two pupils of one name are told apart by their student number (学号).
  const named = new Map<string, number>();
  for (const r of rows) named.set(r.name, (named.get(r.name) ?? 0) + 1);
  const sameName = new Set([...named].filter(([, n]) => n > 1).map(([name]) => name));
  return (
    <div class="health">
      <SignalBanners signals={state.healthAlerts} />
      <div class="health-bar">
        <span data-testid="health-summary">
          {t('health.summary', { checked, total: rows.length, fever, absent: absentN })}
        </span>
        <button type="button" class="btn big" data-testid="open-report" onClick={() => setReport(true)}>
          {t('health.report')}
        </button>
        <a class="btn big" href="/api/v1/health/report.csv">
          {t('health.csv')}
        </a>
      </div>
      {message && (
        <p class={message.kind} role="status" data-testid="health-message">
          {message.text}
        </p>
      )}
      {student && (
        <div class="card check-panel" data-testid="check-panel" data-student={student.studentNo}>
          <h2>
            {student.name} <span class="hint">{student.studentNo}</span>
          </h2>
          {student.remeasureDueAt && (
            <p class="warn">{t('health.remeasure', { time: formatTime(student.remeasureDueAt) })}</p>
          )}
          <div class="row">
            <button
              type="button"
              class="btn huge primary"
              data-testid="measure"
              disabled={busy}
              onClick={() => void measure()}
            >
              {busy ? t('health.measuring') : t('health.measure')}
            </button>
            {measured ? (
              <MeasuredTemp m={measured} />
            ) : (
              <label class="field">
                <span class="field-label">{t('health.temp')}</span>
                <input
                  type="number"
                  inputMode="decimal"
                  step="0.1"
                  name="temp"
                  value={manual}
                  onInput={(e) => setManual(e.currentTarget.value)}
                />
              </label>
            )}
          </div>
          <p class="hint">{t('health.symptoms')}</p>
          <div class="symptoms">
            {SYMPTOMS.map((s) => (
              <button
                type="button"
                class={symptoms.includes(s) ? 'btn big primary' : 'btn big'}
                aria-pressed={symptoms.includes(s)}
                data-testid={`symptom-${s}`}
                onClick={() => setSymptoms(symptoms.includes(s) ? symptoms.filter((x) => x !== s) : [...symptoms, s])}
              >
                {t(`symptom.${s}`)}
              </button>
            ))}
          </div>
          <div class="row">
            <button type="button" class="btn huge primary" data-testid="save-check" onClick={() => void save()}>
              {t('health.save')}
            </button>
            <span class="hint">{t('health.absent')}</span>
            {REASONS.map((r) => (
              <button type="button" class="btn big" data-testid={`absent-${r}`} onClick={() => void absent(r)}>
                {t(`reason.${r}`)}
              </button>
            ))}
            <span class="hint">{t('health.absentHint')}</span>
          </div>
        </div>
      )}
      <div class="students">
        {rows.map((r) => (
          <button
            type="button"
            class={`student status-${r.status}${r.studentId === selected ? ' selected' : ''}`}
            data-testid={`student-${r.studentNo}`}
            data-status={r.status}
            data-reason={r.absence?.reason}
            onClick={() => select(r.studentId)}
          >
            <span class="student-name">
              {r.name}
              {sameName.has(r.name) && <span class="student-no"> {r.studentNo}</span>}
            </span>
            <span class="student-status" data-testid={`student-status-${r.studentNo}`}>
              {r.status === 'absent' && r.absence ? t(`reason.${r.absence.reason}`) : t(`status.${r.status}`)}
              {r.check?.tempC ? ` ${oneDecimal(r.check.tempC)} °C` : ''}
            </span>
          </button>
        ))}
      </div>
    </div>
  );
}

/**
 * The thermometer's answer: the raw forehead reading and the compensated one, each named, and which
 * one counts (the compensated one decides fever); one value when the doorway needed no correction.
 */
function MeasuredTemp({ m }: { m: Measured }) {
  const adjusted = oneDecimal(m.objectC) !== oneDecimal(m.compensatedC);
  return (
    <span class="measured" data-testid="measured">
      <span class="temp">
        {adjusted
          ? t('health.measuredBoth', { raw: oneDecimal(m.objectC), comp: oneDecimal(m.compensatedC) })
          : t('health.measuredOne', { comp: oneDecimal(m.compensatedC) })}
      </span>
      <span class="hint">
        {t(adjusted ? 'health.ambientAdjusted' : 'health.ambientNone', { ambient: oneDecimal(m.ambientC) })}
      </span>
    </span>
  );
}

/** Signals of one class and symptom group whose days overlap: one outbreak, one banner. */
interface Cluster {
  key: string;
  category: Signal['category'];
  signals: Signal[];
  firstDay: string;
  lastDay: string;
}

/**
 * One banner per outbreak: the signals of one class and symptom group whose days overlap (3 in a day,
 * then 5 in 3 days, of one diarrhoea outbreak) are one cluster; a signal sent twice (a reconnect, a
 * grown cluster) counts once, by its id.
 */
export function clusters(signals: readonly Signal[]): Cluster[] {
  const byId = new Map<number, Signal>();
  for (const s of signals) byId.set(s.id, s);
  const out: Cluster[] = [];
  for (const s of [...byId.values()].sort((a, b) => (a.firstDay < b.firstDay ? -1 : a.firstDay > b.firstDay ? 1 : 0))) {
    const c = out.find(
      (x) => x.key.startsWith(`${s.classId}|${s.category}|`) && s.firstDay <= x.lastDay && s.lastDay >= x.firstDay,
    );
    if (c) {
      c.signals.push(s);
      if (s.lastDay > c.lastDay) c.lastDay = s.lastDay;
    } else
      out.push({
        key: `${s.classId}|${s.category}|${s.firstDay}`,
        category: s.category,
        signals: [s],
        firstDay: s.firstDay,
        lastDay: s.lastDay,
      });
  }
  return out;
}

function SignalBanners({ signals }: { signals: readonly Signal[] }) {
  const [error, setError] = useState<string | undefined>(undefined);
  const markReported = async (c: Cluster, open: Signal[]) => {
    setError(undefined);
    try {
      for (const s of open) await api('POST /api/v1/health/alerts/:id/reported', { params: { id: s.id } });
      notify(t('health.reportedNotice', { category: t(`symptom.${c.category}`), time: formatDateTime(Date.now()) }));
    } catch (err) {
      setError(healthError(err, 'signal'));
    }
  };
  return (
    <>
      {error && (
        <p class="error" role="alert" data-testid="signal-error">
          {error}
        </p>
      )}
      {clusters(signals).map((c) => {
        const cases = Math.max(...c.signals.map((s) => s.cases));
        const open = c.signals.filter((s) => s.reportedAt === null || s.cases > (s.reportedCases ?? 0));
        const reported = c.signals
          .filter((s) => s.reportedAt !== null)
          .sort((a, b) => (b.reportedAt ?? 0) - (a.reportedAt ?? 0))[0];
        const grew = reported ? cases - Math.max(...c.signals.map((s) => s.reportedCases ?? 0)) : 0;
        return (
          <div
            class={`alert ${open.length ? 'alert' : 'reported'}`}
            role={open.length ? 'alert' : 'status'}
            data-testid="health-alert"
            data-category={c.category}
            data-signals={c.signals.map((s) => s.id).join(',')}
            data-reported={open.length ? 'no' : 'yes'}
          >
            <strong class="advice">
              {t('health.alert', { category: t(`symptom.${c.category}`), cases, first: c.firstDay })}
            </strong>
            <span>
              {t('health.alertRules', {
                rules: CLUSTER_RULES.filter((rule) => c.signals.some((s) => s.rule === rule))
                  .map((rule) => t(`cluster.${rule}`))
                  .join(t('health.r.sep')),
              })}
            </span>
            {reported && (
              <span class="reported-line" data-testid="signal-reported">
                {t('health.reported', {
                  time: formatDateTime(reported.reportedAt ?? 0),
                  by: reported.reportedBy ?? '',
                })}
                {grew > 0 && ` · ${t('health.reportedGrew', { n: grew })}`}
              </span>
            )}
            {open.length > 0 && (
              <div class="row">
                <span>{t('health.alertDuty')}</span>
                <ConfirmButton
                  testid={`mark-reported-${c.category}`}
                  className="btn big primary"
                  label={t('health.markReported')}
                  question={t('health.markReportedQuestion')}
                  confirmLabel={t('health.markReportedYes')}
                  onConfirm={() => void markReported(c, open)}
                />
              </div>
            )}
          </div>
        );
      })}
    </>
  );
}

/**
 * The 日报 inside the kiosk (kiosk mode has no browser tabs to come back from): 返回 to the check,
 * 打印 to the school's printer; printing is an export of minors' data, so it is audited first.
 */
function DailyReportView({ onBack }: { onBack: () => void }) {
  const [r, setR] = useState<ResponseOf<'GET /api/v1/health/report'> | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  const [generatedAt] = useState(() => Date.now());
  useEffect(() => {
    void api('GET /api/v1/health/report').then(setR, (e: unknown) => setError(healthError(e, 'day')));
  }, []);
  const print = async () => {
    if (!r) return;
    setError(undefined);
    try {
      await api('POST /api/v1/health/report/printed', { body: { classId: r.classId, day: r.day } });
      window.print();
    } catch (err) {
      setError(healthError(err, 'print'));
    }
  };
  const sym =
    SYMPTOMS.filter((s) => r?.symptoms[s])
      .map((s) => `${t(`symptom.${s}`)} ${r?.symptoms[s] ?? 0}`)
      .join(t('health.r.sep')) || t('health.r.none');
  return (
    <div class="health-report" data-testid="health-report">
      <div class="row no-print">
        <button type="button" class="btn big" data-testid="report-back" onClick={onBack}>
          {t('health.back')}
        </button>
        <button
          type="button"
          class="btn big primary"
          data-testid="report-print"
          disabled={!r}
          onClick={() => void print()}
        >
          {t('health.print')}
        </button>
      </div>
      {error && (
        <p class="error" role="alert" data-testid="health-message">
          {error}
        </p>
      )}
      {r && (
        <>
          <h2 data-testid="report-title">
            {t('health.reportTitle')} · {r.className} · {r.day}
          </h2>
          <p class="hint">{t('health.generatedAt', { time: formatDateTime(generatedAt) })}</p>
          <table class="table report-summary">
            <tbody>
              {(
                [
                  ['health.r.enrolled', r.enrolled],
                  ['health.r.checked', r.checked],
                  ['health.r.feverConfirmed', r.fever.confirmed],
                  ['health.r.feverCleared', r.fever.cleared],
                  ['health.r.feverPending', r.fever.pending],
                  ['health.r.withSymptoms', r.withSymptoms ? `${r.withSymptoms}（${sym}）` : 0],
                  ['health.r.absentIllness', r.absent.illness],
                  ['health.r.absentPersonal', r.absent.personal],
                  ['health.r.absentOther', r.absent.other + r.absent.unknown],
                  ['health.r.absentUnexplained', r.absent.unexplained],
                ] as const
              ).map(([k, v]) => (
                <tr>
                  <th scope="row">{t(k)}</th>
                  <td>{v}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>{t('health.r.students')}</h3>
          <table class="table report-students">
            <thead>
              <tr>
                <th>{t('health.r.no')}</th>
                <th>{t('health.r.name')}</th>
                <th>{t('health.r.status')}</th>
                <th>{t('health.r.temp')}</th>
                <th>{t('health.r.symptoms')}</th>
                <th>{t('health.r.reason')}</th>
              </tr>
            </thead>
            <tbody>
              {r.students.map((s) => (
                <tr data-testid={`report-row-${s.studentNo}`}>
                  <td>{s.studentNo}</td>
                  <td>{s.name}</td>
                  <td>{statusWord(s.status)}</td>
                  <td>{s.tempC === null ? '' : oneDecimal(s.tempC)}</td>
                  <td>{symptomWords(s.symptoms)}</td>
                  <td>{s.absence ? reasonWord(s.absence) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}

const STATUSES = [
  'unchecked',
  'normal',
  'symptoms',
  'fever-pending',
  'fever-cleared',
  'fever-confirmed',
  'absent',
] as const satisfies readonly Row['status'][];
const isStatus = (s: string): s is Row['status'] => (STATUSES as readonly string[]).includes(s);
const statusWord = (s: string): string => (isStatus(s) ? t(`status.${s}`) : s);
const isReason = (s: string): s is AbsenceReason => (ABSENCE_REASONS as readonly string[]).includes(s);
const reasonWord = (s: string): string => (isReason(s) ? t(`reason.${s}`) : s);
