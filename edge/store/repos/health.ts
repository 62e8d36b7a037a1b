import type { CLUSTER_RULES, SIGNAL_CATEGORIES } from '../../health/symptoms.js';
import type { Db } from '../db.js';
import type { AbsenceReason, Symptom } from '../../health/symptoms.js';

export type CheckResult = 'normal' | 'symptoms' | 'fever-pending' | 'fever-cleared' | 'fever-confirmed';

export interface Check {
  id: number;
  studentId: number;
  day: string;
  checkedAt: number;
  tempRawC: number | null;
  ambientC: number | null;
  tempC: number | null;
  compensation: string | null;
  symptoms: Symptom[];
  notes: string;
  result: CheckResult;
  remeasureOf: number | null;
  recordedBy: string;
  corrects: number | null;
  correctionReason: string | null;
  supersededBy: number | null;
}

export interface Absence {
  id: number;
  studentId: number;
  day: string;
  reason: AbsenceReason;
  symptoms: Symptom[];
  onsetDay: string | null;
  returnedDay: string | null;
  followUp: { at: number; by: string; note: string }[];
}

/** A class-level outbreak signal as the appliance raised it (the pseudonyms stay in the table). */
export interface HealthAlert {
  id: number;
  classId: string;
  /** Written only from ClusterSignal (edge/health/clusters.ts). */
  rule: (typeof CLUSTER_RULES)[number];
  category: (typeof SIGNAL_CATEGORIES)[number];
  firstDay: string;
  lastDay: string;
  cases: number;
  /** 已上报: when it was marked reported to the CDC and the education bureau, by whom, with how many cases then. */
  reportedAt: number | null;
  reportedBy: string | null;
  reportedCases: number | null;
}

/** A signal as the rules computed it, before it is stored. */
export type SignalInput = Pick<HealthAlert, 'classId' | 'rule' | 'category' | 'firstDay' | 'lastDay' | 'cases'> & {
  pseudonyms: string[];
};

/** A check or an illness absence that counts as a case for the outbreak rules. */
export interface CaseRecord {
  pseudonym: string;
  day: string;
  symptoms: Symptom[];
  /** The compensated temperature of a confirmed fever. */
  feverC: number | undefined;
}

const CHECK_COLUMNS =
  'id, student_id, day, checked_at, temp_raw, temp_ambient, temp_compensated, compensation, symptoms, notes, result, remeasure_of, recorded_by, corrects, correction_reason, superseded_by';
const ALERT_COLUMNS =
  'id, class_id, rule, category, first_day, last_day, cases, reported_at, reported_by_name, reported_cases';
interface AlertRow {
  id: number;
  class_id: string;
  rule: HealthAlert['rule'];
  category: HealthAlert['category'];
  first_day: string;
  last_day: string;
  cases: number;
  reported_at: number | null;
  reported_by_name: string | null;
  reported_cases: number | null;
}
const alertOf = (r: AlertRow): HealthAlert => ({
  id: r.id,
  classId: r.class_id,
  rule: r.rule,
  category: r.category,
  firstDay: r.first_day,
  lastDay: r.last_day,
  cases: r.cases,
  reportedAt: r.reported_at,
  reportedBy: r.reported_by_name,
  reportedCases: r.reported_cases,
});
const ABSENCE_COLUMNS = 'id, student_id, day, reason, symptoms, onset_day, returned_day, follow_up';

interface CheckRow {
  id: number;
  student_id: number;
  day: string;
  checked_at: number;
  temp_raw: number | null;
  temp_ambient: number | null;
  temp_compensated: number | null;
  compensation: string | null;
  symptoms: string;
  notes: string;
  result: CheckResult;
  remeasure_of: number | null;
  recorded_by: string;
  corrects: number | null;
  correction_reason: string | null;
  superseded_by: number | null;
}

interface AbsenceRow {
  id: number;
  student_id: number;
  day: string;
  reason: AbsenceReason;
  symptoms: string;
  onset_day: string | null;
  returned_day: string | null;
  follow_up: string;
}

const toCheck = (r: CheckRow): Check => ({
  id: r.id,
  studentId: r.student_id,
  day: r.day,
  checkedAt: r.checked_at,
  tempRawC: r.temp_raw,
  ambientC: r.temp_ambient,
  tempC: r.temp_compensated,
  compensation: r.compensation,
  symptoms: JSON.parse(r.symptoms) as Symptom[],
  notes: r.notes,
  result: r.result,
  remeasureOf: r.remeasure_of,
  recordedBy: r.recorded_by,
  corrects: r.corrects,
  correctionReason: r.correction_reason,
  supersededBy: r.superseded_by,
});

const toAbsence = (r: AbsenceRow): Absence => ({
  id: r.id,
  studentId: r.student_id,
  day: r.day,
  reason: r.reason,
  symptoms: JSON.parse(r.symptoms) as Symptom[],
  onsetDay: r.onset_day,
  returnedDay: r.returned_day,
  followUp: JSON.parse(r.follow_up) as Absence['followUp'],
});

/**
 * The morning checks, absences and outbreak signals. A check is never changed: a correction is a
 * new row that supersedes it.
 */
export class HealthRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  check(id: number): Check | undefined {
    const r = this.#db.prepare<[number], CheckRow>(`SELECT ${CHECK_COLUMNS} FROM health_checks WHERE id = ?`).get(id);
    return r ? toCheck(r) : undefined;
  }

  /** The student's check of the day that no correction superseded, newest first. */
  current(studentId: number, day: string): Check | null {
    const r = this.#db
      .prepare<[number, string], CheckRow>(
        `SELECT ${CHECK_COLUMNS} FROM health_checks WHERE student_id = ? AND day = ? AND superseded_by IS NULL ORDER BY checked_at DESC, id DESC LIMIT 1`,
      )
      .get(studentId, day);
    return r ? toCheck(r) : null;
  }

  /** Every check of a student, corrections included, in the order they were taken. */
  checksOf(studentId: number): Check[] {
    return this.#db
      .prepare<[number], CheckRow>(
        `SELECT ${CHECK_COLUMNS} FROM health_checks WHERE student_id = ? ORDER BY checked_at`,
      )
      .all(studentId)
      .map(toCheck);
  }

  insertCheck(c: Omit<Check, 'id' | 'supersededBy'>): number {
    const r = this.#db
      .prepare(
        `INSERT INTO health_checks (student_id, day, checked_at, temp_raw, temp_ambient, temp_compensated, compensation, symptoms, notes, result, remeasure_of, recorded_by, corrects, correction_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.studentId,
        c.day,
        c.checkedAt,
        c.tempRawC,
        c.ambientC,
        c.tempC,
        c.compensation,
        JSON.stringify(c.symptoms),
        c.notes,
        c.result,
        c.remeasureOf,
        c.recordedBy,
        c.corrects,
        c.correctionReason,
      );
    return Number(r.lastInsertRowid);
  }

  markSuperseded(id: number, by: number): void {
    this.#db.prepare('UPDATE health_checks SET superseded_by = ? WHERE id = ?').run(by, id);
  }

  /** Record (or re-record) a student's absence of a day; a changed reason is noted in the follow-up. */
  upsertAbsence(a: {
    studentId: number;
    day: string;
    reason: AbsenceReason;
    symptoms: Symptom[];
    onsetDay: string | null;
    recordedBy: string;
    recordedAt: number;
  }): void {
    this.#db
      .prepare(
        `INSERT INTO absences (student_id, day, reason, symptoms, onset_day, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (student_id, day) DO UPDATE SET reason = excluded.reason, symptoms = excluded.symptoms, onset_day = excluded.onset_day,
           follow_up = json_insert(follow_up, '$[#]', json_object('at', excluded.recorded_at, 'by', excluded.recorded_by, 'note', 'reason changed to ' || excluded.reason))`,
      )
      .run(a.studentId, a.day, a.reason, JSON.stringify(a.symptoms), a.onsetDay, a.recordedBy, a.recordedAt);
  }

  absence(studentId: number, day: string): Absence | null {
    const r = this.#db
      .prepare<[number, string], AbsenceRow>(`SELECT ${ABSENCE_COLUMNS} FROM absences WHERE student_id = ? AND day = ?`)
      .get(studentId, day);
    return r ? toAbsence(r) : null;
  }

  absenceById(id: number): Absence | undefined {
    const r = this.#db.prepare<[number], AbsenceRow>(`SELECT ${ABSENCE_COLUMNS} FROM absences WHERE id = ?`).get(id);
    return r ? toAbsence(r) : undefined;
  }

  /** Every absence of a student, by day. */
  absencesOf(studentId: number): Absence[] {
    return this.#db
      .prepare<[number], AbsenceRow>(`SELECT ${ABSENCE_COLUMNS} FROM absences WHERE student_id = ? ORDER BY day`)
      .all(studentId)
      .map(toAbsence);
  }

  /** Append a follow-up note; `returnedDay`, when given, records the day the student came back. */
  addFollowUp(id: number, note: { at: number; by: string; note: string }, returnedDay: string | undefined): void {
    this.#db
      .prepare(
        "UPDATE absences SET follow_up = json_insert(follow_up, '$[#]', json_object('at', ?, 'by', ?, 'note', ?)), returned_day = coalesce(?, returned_day) WHERE id = ?",
      )
      .run(note.at, note.by, note.note, returnedDay ?? null, id);
  }

  /**
   * A class's cases between two days (inclusive): checks with symptoms or a confirmed fever, and absences for illness.
   */
  cases(classId: string, from: string, until: string): CaseRecord[] {
    const checks = this.#db
      .prepare<
        [string, string, string],
        { pseudonym: string; day: string; symptoms: string; result: CheckResult; temp_compensated: number | null }
      >(
        `SELECT s.pseudonym, h.day, h.symptoms, h.result, h.temp_compensated FROM health_checks h JOIN students s ON s.id = h.student_id
         WHERE s.class_id = ? AND h.day BETWEEN ? AND ? AND h.superseded_by IS NULL AND h.result IN ('symptoms', 'fever-confirmed')`,
      )
      .all(classId, from, until)
      .map((r) => ({
        pseudonym: r.pseudonym,
        day: r.day,
        symptoms: JSON.parse(r.symptoms) as Symptom[],
        feverC: r.result === 'fever-confirmed' ? (r.temp_compensated ?? undefined) : undefined,
      }));
    const absences = this.#db
      .prepare<[string, string, string], { pseudonym: string; day: string; symptoms: string }>(
        "SELECT s.pseudonym, a.day, a.symptoms FROM absences a JOIN students s ON s.id = a.student_id WHERE s.class_id = ? AND a.day BETWEEN ? AND ? AND a.reason = 'illness'",
      )
      .all(classId, from, until)
      .map((r) => ({
        pseudonym: r.pseudonym,
        day: r.day,
        symptoms: JSON.parse(r.symptoms) as Symptom[],
        feverC: undefined,
      }));
    return [...checks, ...absences];
  }

  /**
   * Store a signal once per cluster: a signal of the same class, rule and symptom group whose days
   * overlap this one's is the same cluster, grown (its cases and last day updated); anything else is
   * a new signal. Returns the signal's id when it is new or grew, undefined when nothing changed.
   */
  raiseAlert(a: SignalInput, raisedAt: number): number | undefined {
    return this.#db.transaction(() => {
      const same = this.#db
        .prepare<
          [string, string, string, string, string],
          { id: number; first_day: string; last_day: string; pseudonyms: string }
        >(
          `SELECT id, first_day, last_day, pseudonyms FROM health_alerts
           WHERE class_id = ? AND rule = ? AND category = ? AND last_day >= ? AND first_day <= ? ORDER BY id DESC LIMIT 1`,
        )
        .get(a.classId, a.rule, a.category, a.firstDay, a.lastDay);
      if (!same) {
        const r = this.#db
          .prepare(
            'INSERT INTO health_alerts (class_id, rule, category, first_day, last_day, cases, raised_at, pseudonyms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
          )
          .run(a.classId, a.rule, a.category, a.firstDay, a.lastDay, a.cases, raisedAt, JSON.stringify(a.pseudonyms));
        return r.changes === 0 ? undefined : Number(r.lastInsertRowid);
      }
      const had = JSON.parse(same.pseudonyms) as string[];
      const added = a.pseudonyms.filter((p) => !had.includes(p));
      const lastDay = a.lastDay > same.last_day ? a.lastDay : same.last_day;
      if (added.length === 0 && lastDay === same.last_day) return undefined;
      const all = [...had, ...added].sort();
      this.#db
        .prepare('UPDATE health_alerts SET last_day = ?, cases = ?, pseudonyms = ? WHERE id = ?')
        .run(lastDay, all.length, JSON.stringify(all), same.id);
      return same.id;
    })();
  }

  /** Mark a signal 已上报 (reported to the CDC and the education bureau) with its cases as they are now. */
  markAlertReported(id: number, at: number, by: string, byName: string): void {
    this.#db
      .prepare(
        'UPDATE health_alerts SET reported_at = ?, reported_by = ?, reported_by_name = ?, reported_cases = cases WHERE id = ?',
      )
      .run(at, by, byName, id);
  }

  /** One signal, or undefined. */
  alert(id: number): HealthAlert | undefined {
    const r = this.#db.prepare<[number], AlertRow>(`SELECT ${ALERT_COLUMNS} FROM health_alerts WHERE id = ?`).get(id);
    return r && alertOf(r);
  }

  /** The newest 100 signals, of one class or all. */
  alerts(classId?: string): HealthAlert[] {
    return this.#db
      .prepare<[string | null, string | null], AlertRow>(
        `SELECT ${ALERT_COLUMNS} FROM health_alerts WHERE (? IS NULL OR class_id = ?) ORDER BY raised_at DESC, id DESC LIMIT 100`,
      )
      .all(classId ?? null, classId ?? null)
      .map(alertOf);
  }

  /** The card of the first active student (by number) not checked on `day`: what the door simulator taps next. */
  /** A class's daily report to the district (counts only); the outbox trigger sends it as `health-days`. */
  putDayReport(classId: string, day: string, payload: Record<string, unknown>, madeAt: number): void {
    this.#db
      .prepare('INSERT INTO health_day_reports (class_id, day, made_at, payload) VALUES (?, ?, ?, ?)')
      .run(classId, day, madeAt, JSON.stringify(payload));
  }

  nextUncheckedCard(day: string): string | undefined {
    return this.#db
      .prepare<[string], { card_id: string }>(
        `SELECT s.card_id FROM students s WHERE s.active = 1 AND s.card_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM health_checks h WHERE h.student_id = s.id AND h.day = ?)
         ORDER BY s.student_no LIMIT 1`,
      )
      .get(day)?.card_id;
  }
}
