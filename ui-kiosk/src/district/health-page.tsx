import { useEffect, useState } from 'preact/hooks';
import { consoleApi, type HealthDaysAnswer, type HealthSignal } from './api.js';
import { term, w } from './words.js';
import { DayRange, useDayRange } from './date-range.js';

const pct = (x: number): string => `${Math.round(x * 100)} %`;

function SignalCard({ s, className, saved }: { s: HealthSignal; className: string; saved: () => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | undefined>();
  const save = (e: Event): void => {
    e.preventDefault();
    consoleApi.noteSignal(s.applianceId, s.signalId, note).then(
      () => {
        setNote('');
        saved();
      },
      (err: Error) => setError(err.message),
    );
  };
  return (
    <article class={`signal ${s.acknowledged ? 'acked' : 'open'}`} data-signal={`${s.applianceId}/${s.signalId}`}>
      <h3>
        {s.school} · {className} · {term('symptom', s.category)} · {w('cases')} {s.cases}
        <span class={`pill ${s.acknowledged ? 'ok' : 'bad'}`}>
          {s.acknowledged ? `${w('acknowledged')} (${s.acknowledged.username})` : w('notAcknowledged')}
        </span>
      </h3>
      <p class="muted">
        {w('rule')} {term('cluster', s.rule)} · {w('days')} {s.firstDay} – {s.lastDay}
        {s.reportedAt ? ` · ${w('reportedBySchool')} ${new Date(s.reportedAt).toLocaleString()}` : ''}
      </p>
      <p class="muted small">
        {w('pseudonyms')}: {s.pseudonyms.join(', ')}
      </p>
      {s.notes.length > 0 && (
        <ul class="notes">
          {s.notes.map((n) => (
            <li>
              {new Date(n.at).toLocaleString()} · {n.username}: {n.note}
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={save}>
        <textarea
          name="note"
          aria-label={w('note')}
          placeholder={w('notePlaceholder')}
          value={note}
          maxLength={1000}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <button type="submit" disabled={!note.trim()}>
          {s.acknowledged ? w('addNote') : w('acknowledge')}
        </button>
        {error && <span class="error">{error}</span>}
      </form>
    </article>
  );
}

/** The school doctor's and CDC's page: outbreak signals to acknowledge, and every class's day. */
export function HealthPage() {
  const range = useDayRange(7);
  const { from, to } = range;
  const [days, setDays] = useState<HealthDaysAnswer | undefined>();
  const [signals, setSignals] = useState<HealthSignal[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const failed = (e: Error): void => setError(`${w('loadFailed')}: ${e.message}`);
    void consoleApi.healthDays(from, to).then(setDays, failed);
    void consoleApi.signals(from).then((a) => setSignals(a.signals), failed);
  }, [from, to, tick]);
  return (
    <section>
      <DayRange range={range} />
      {error && <p class="error">{error}</p>}
      <h2>{w('signals')}</h2>
      {signals && signals.length === 0 && <p class="muted">{w('noSignals')}</p>}
      {signals?.map((s) => (
        <SignalCard
          s={s}
          className={
            days?.days.find((d) => d.applianceId === s.applianceId && d.classId === s.classId)?.className ?? s.classId
          }
          saved={() => setTick((n) => n + 1)}
        />
      ))}
      <h2>{w('classDays')}</h2>
      {days && (
        <table class="fleet" data-testid="class-days">
          <thead>
            <tr>
              <th>{w('day')}</th>
              <th>{w('school')}</th>
              <th>{w('klass')}</th>
              <th>{w('completion')}</th>
              <th>{w('fever')}</th>
              <th>{w('symptomsCol')}</th>
              <th>{w('illnessAbsence')}</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {days.days.map((d) => (
              <tr data-class-day={`${d.classId}/${d.day}`}>
                <td>{d.day}</td>
                <td>{d.school}</td>
                <td>{d.className}</td>
                <td>
                  {pct(d.completion)} ({d.checked}/{d.enrolled})
                </td>
                <td>{d.fever.confirmed + d.fever.pending}</td>
                <td>
                  {Object.entries(d.symptoms)
                    .map(([k, v]) => `${term('symptom', k)} ${v}`)
                    .join(', ') || '—'}
                </td>
                <td>
                  {d.absent.illness} ({pct(d.illnessAbsenceRate)})
                </td>
                <td>{d.zeroReport && <span class="pill ok">{w('zeroReport')}</span>}</td>
              </tr>
            ))}
            {days.missing.map((m) => (
              <tr class="bad-text" data-missing={`${m.classId}/${m.day}`}>
                <td>{m.day}</td>
                <td>{m.school}</td>
                <td>{m.className}</td>
                <td colSpan={5}>{w('missingReports')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
