import { useState } from 'preact/hooks';
import type { Static } from '@sinclair/typebox';
import { api, ApiError } from '../../api.js';
import type { StudentRecordBody } from '../../../../edge/api/contract/health.js';
import { t } from '../../i18n.js';
import { reportError, useApiData } from '../../hooks.js';
import { ABSENCE_REASONS, SYMPTOMS } from '../../../../edge/health/symptoms.js';
import { actorText, errorText, rosterIssueText } from '../../admin-words.js';

/**
 * The record view. Its endpoint declares this schema once the store change of issue 18 is merged;
 * until then the answer is cast here: the one cast of an answer left in the kiosk.
 */
type Record_ = Static<typeof StudentRecordBody>;

/** The record keeps symptoms as a JSON array of codes: each in words (a code this version does not know, as it is). */
function symptomsText(json: string): string {
  const codes: unknown = JSON.parse(json);
  if (!Array.isArray(codes)) return '';
  return codes
    .map(String)
    .map((c) => {
      const known = SYMPTOM_WORDS.find((x) => x === c);
      return known ? t(`symptom.${known}`) : c;
    })
    .join('、');
}
const SYMPTOM_WORDS = [...SYMPTOMS, 'influenza-like'] as const;

const CHECK_RESULTS = ['normal', 'symptoms', 'fever-pending', 'fever-cleared', 'fever-confirmed'] as const;
/** A check's result in the words of the teacher's panel. */
function resultText(r: string): string {
  const known = CHECK_RESULTS.find((x) => x === r);
  return known ? t(`status.${known}`) : r;
}

function reasonText(r: string): string {
  const known = ABSENCE_REASONS.find((x) => x === r);
  return known ? t(`reason.${known}`) : r;
}

const NOBODY = new Map();

/** The roster for IT staff: import the district's CSV, and open one student's health record (audited). */
export function StudentsScreen() {
  const list = useApiData('GET /api/v1/health/students');
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>(undefined);
  const [record, setRecord] = useState<Record_ | undefined>(undefined);

  const upload = async (file: File) => {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    try {
      const r = await api('POST /api/v1/health/roster', { body: { csvBase64: btoa(bin) } });
      setNote({ ok: true, text: t('students.imported', r) });
      list.reload();
    } catch (err) {
      reportError(err);
      setNote({
        ok: false,
        text:
          err instanceof ApiError && err.issues.length ? err.issues.map(rosterIssueText).join('\n') : errorText(err),
      });
    }
  };
  const open = (id: number) =>
    void api('GET /api/v1/health/students/:id', { params: { id } }).then(
      (r) => setRecord(r),
      (e: unknown) => {
        reportError(e);
        setNote({ ok: false, text: errorText(e) });
      },
    );

  return (
    <div class="page">
      <h2>{t('admin.students')}</h2>
      <label class="btn primary" data-testid="roster-upload">
        {t('students.import')}
        <input
          type="file"
          accept=".csv,text/csv"
          hidden
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) void upload(f);
          }}
        />
      </label>
      {note && (
        <pre class={note.ok ? 'ok' : 'error'} role="status" data-testid="roster-note">
          {note.text}
        </pre>
      )}
      {record && (
        <div class="card" data-testid="student-record">
          <h3>
            {String(record.student.name)} · {String(record.student.student_no)} · {t('students.record')}
          </h3>
          <h4>{t('students.checks')}</h4>
          <table class="table">
            <thead>
              <tr>
                <th>{t('students.col.day')}</th>
                <th>{t('students.col.result')}</th>
                <th>{t('students.col.temp')}</th>
                <th>{t('students.col.symptoms')}</th>
                <th>{t('students.col.correction')}</th>
                <th>{t('students.col.by')}</th>
              </tr>
            </thead>
            <tbody>
              {record.checks.map((c) => (
                <tr class={c.superseded_by ? 'superseded' : ''}>
                  <td class="nowrap">{c.day}</td>
                  <td class="nowrap">{resultText(c.result)}</td>
                  <td>{c.temp_compensated ?? ''}</td>
                  <td>{symptomsText(c.symptoms)}</td>
                  <td>{c.correction_reason ?? ''}</td>
                  <td>{actorText(c.recorded_by, NOBODY)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>{t('students.absences')}</h4>
          <table class="table">
            <thead>
              <tr>
                <th>{t('students.col.day')}</th>
                <th>{t('students.col.reason')}</th>
                <th>{t('students.col.symptoms')}</th>
                <th>{t('students.col.returned')}</th>
              </tr>
            </thead>
            <tbody>
              {record.absences.map((a) => (
                <tr>
                  <td class="nowrap">{a.day}</td>
                  <td>{reasonText(a.reason)}</td>
                  <td>{symptomsText(a.symptoms)}</td>
                  <td>{a.returned_day ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <table class="table" data-testid="students-table">
        <thead>
          <tr>
            <th>{t('students.col.class')}</th>
            <th>{t('students.col.no')}</th>
            <th>{t('students.col.name')}</th>
            <th>{t('students.col.card')}</th>
            <th>{t('students.col.state')}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {list.data?.length === 0 && (
            <tr>
              <td colSpan={6}>{t('common.none')}</td>
            </tr>
          )}
          {list.data?.map((s) => (
            <tr class={s.active ? '' : 'inactive'} data-testid={`student-row-${s.studentNo}`}>
              <td translate={false}>{s.classId}</td>
              <td translate={false}>{s.studentNo}</td>
              <td translate={false}>{s.name}</td>
              <td translate={false}>{s.cardId ?? ''}</td>
              <td class="nowrap">{t(s.active ? 'students.active' : 'students.inactive')}</td>
              <td>
                <button type="button" class="btn" data-testid={`open-${s.studentNo}`} onClick={() => open(s.id)}>
                  {t('students.record')}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
