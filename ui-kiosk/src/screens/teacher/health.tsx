import { useContext, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type ResponseOf } from '../../api.js';
import { SYMPTOMS, type AbsenceReason, type Symptom } from '../../../../edge/health/symptoms.js';
import { formatTime, t } from '../../i18n.js';
import { useObservable } from '../../store.js';
import { reportError } from '../../hooks.js';
import { LiveContext } from './live-context.js';
import type { LiveClient } from '../../live.js';

/** The reasons a teacher gives at the door ('unknown' is what an absence nobody explained counts as). */
const REASONS = ['illness', 'personal', 'other'] as const satisfies readonly AbsenceReason[];

type Row = ResponseOf<'GET /api/v1/health/day'>[number];
type Measured = ResponseOf<'POST /api/v1/health/measure'>;

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
  const [message, setMessage] = useState<{ kind: 'ok' | 'warn' | 'error'; text: string } | undefined>(undefined);
  // Which selection a measurement belongs to: a reading that comes back after the next student was
  // selected (a card tapped while measuring) is that earlier student's, and must not be saved as this one's.
  const selection = useRef(0);

  const load = () =>
    void api('GET /api/v1/health/day').then(setRows, (e: unknown) =>
      setMessage({ kind: 'error', text: reportError(e) }),
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
      if (forSelection === selection.current)
        setMessage({ kind: 'error', text: err instanceof ApiError ? err.message : reportError(err) });
    } finally {
      setBusy(false);
    }
  };
  const save = async () => {
    if (selected === undefined) return;
    const raw = measured?.objectC ?? (manual ? Number(manual) : undefined);
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
      setMessage({ kind: 'error', text: err instanceof ApiError ? `${err.message}` : reportError(err) });
    }
  };
  const absent = async (reason: AbsenceReason) => {
    if (selected === undefined) return;
    try {
      await api('POST /api/v1/health/absences', {
        body: { studentId: selected, reason, ...(reason === 'illness' ? { symptoms } : {}) },
      });
      setSelected(undefined);
      load();
    } catch (err) {
      setMessage({ kind: 'error', text: reportError(err) });
    }
  };

  if (!rows) return <div class="loading" aria-busy="true" />;
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
      {state.healthAlerts.map((a) => (
        <div class="alert alert" role="alert" data-testid="health-alert">
          <strong class="advice">
            {t('health.alert', {
              rule: t(`cluster.${a.rule}`),
              category: t(`symptom.${a.category}`),
              cases: a.cases,
            })}
          </strong>
        </div>
      ))}
      <div class="health-bar">
        <span data-testid="health-summary">
          {t('health.summary', { checked, total: rows.length, fever, absent: absentN })}
        </span>
        <a class="btn" href="/api/v1/health/report.html" target="_blank" rel="noopener">
          {t('health.report')}
        </a>
        <a class="btn" href="/api/v1/health/report.csv">
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
              <span class="temp" data-testid="measured">
                {measured.compensatedC.toFixed(1)} °C{' '}
                <span class="hint">{t('health.raw', { raw: measured.objectC, ambient: measured.ambientC })}</span>
              </span>
            ) : (
              <label class="field">
                <span class="field-label">{t('health.temp')}</span>
                <input
                  type="number"
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
                class={symptoms.includes(s) ? 'btn primary' : 'btn'}
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
              <button type="button" class="btn" data-testid={`absent-${r}`} onClick={() => void absent(r)}>
                {t(`reason.${r}`)}
              </button>
            ))}
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
            onClick={() => select(r.studentId)}
          >
            <span class="student-name">
              {r.name}
              {sameName.has(r.name) && <span class="student-no"> {r.studentNo}</span>}
            </span>
            <span class="student-status">
              {t(`status.${r.status}`)}
              {r.check?.tempC ? ` ${r.check.tempC.toFixed(1)}` : ''}
            </span>
          </button>
        ))}
      </div>
    </div>
  );
}
