import type { Db } from '../db.js';

/** A student as the roster holds them, every column (what an export hands over). */
export interface SubjectStudent {
  id: number;
  classId: string;
  studentNo: string;
  name: string;
  pseudonym: string;
  cardId: string | null;
  guardianPhone: string | null;
  active: boolean;
}

/** Everything stored of one student, table by table, as stored (JSON columns parsed). */
export interface SubjectData {
  student: SubjectStudent;
  /** The guardian consent register's row, when one was recorded. */
  consent: Record<string, unknown> | null;
  healthChecks: Record<string, unknown>[];
  absences: Record<string, unknown>[];
  /** Outbreak signals whose case list names the student. */
  healthAlerts: Record<string, unknown>[];
  /** Copies queued for the district and not yet confirmed by it. */
  outbox: { stream: string; seq: number; createdAt: number; payload: unknown }[];
  /** Audit records about the student (who read or wrote their records, when). */
  audit: { ts: number; actor: string; action: string; result: string }[];
}

/** Rows removed or changed by an erasure, by table. */
export interface ErasureCounts {
  healthChecks: number;
  absences: number;
  healthAlerts: number;
  outbox: number;
  /** Records of theirs the district refused earlier, held in the sync quarantine. */
  quarantined: number;
  students: number;
}

const parse = (row: Record<string, unknown>, json: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(row).map(([k, v]) => [
      k,
      json.includes(k) && typeof v === 'string' ? (JSON.parse(v) as unknown) : v,
    ]),
  );

/**
 * A data subject's rights (PIPL arts. 45 and 47): every row of one student, read out or erased. The
 * one place that knows every table holding a student, so that a new one is added here too.
 */
export class SubjectRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** The student by student number (学号), the identifier the school knows. */
  byStudentNo(studentNo: string): SubjectStudent | undefined {
    const r = this.#db
      .prepare<
        [string],
        {
          id: number;
          class_id: string;
          student_no: string;
          name: string;
          pseudonym: string;
          card_id: string | null;
          guardian_phone: string | null;
          active: number;
        }
      >(
        'SELECT id, class_id, student_no, name, pseudonym, card_id, guardian_phone, active FROM students WHERE student_no = ?',
      )
      .get(studentNo);
    return r
      ? {
          id: r.id,
          classId: r.class_id,
          studentNo: r.student_no,
          name: r.name,
          pseudonym: r.pseudonym,
          cardId: r.card_id,
          guardianPhone: r.guardian_phone,
          active: r.active === 1,
        }
      : undefined;
  }

  /** Every column (`SELECT *` on purpose): an export must hand over a column added later too. */
  export(s: SubjectStudent): SubjectData {
    const rows = (sql: string, ...args: (string | number)[]): Record<string, unknown>[] =>
      this.#db.prepare<(string | number)[], Record<string, unknown>>(sql).all(...args);
    return {
      student: s,
      consent: rows('SELECT * FROM guardian_consent WHERE student_id = ?', s.id)[0] ?? null,
      healthChecks: rows('SELECT * FROM health_checks WHERE student_id = ? ORDER BY checked_at, id', s.id).map((r) =>
        parse(r, ['symptoms']),
      ),
      absences: rows('SELECT * FROM absences WHERE student_id = ? ORDER BY day', s.id).map((r) =>
        parse(r, ['symptoms', 'follow_up']),
      ),
      healthAlerts: rows(
        'SELECT * FROM health_alerts WHERE EXISTS (SELECT 1 FROM json_each(health_alerts.pseudonyms) WHERE value = ?) ORDER BY raised_at',
        s.pseudonym,
      ).map((r) => parse(r, ['pseudonyms'])),
      outbox: this.#db
        .prepare<[string, string], { stream: string; seq: number; created_at: number; payload: string }>(
          `SELECT stream, seq, created_at, payload FROM outbox WHERE json_extract(payload, '$.pseudonym') = ?
             OR EXISTS (SELECT 1 FROM json_each(outbox.payload, '$.pseudonyms') WHERE value = ?) ORDER BY stream, seq`,
        )
        .all(s.pseudonym, s.pseudonym)
        .map((r) => ({
          stream: r.stream,
          seq: r.seq,
          createdAt: r.created_at,
          payload: JSON.parse(r.payload) as unknown,
        })),
      audit: this.#db
        .prepare<[string], { ts: number; actor: string; action: string; result: string }>(
          'SELECT ts, actor, action, result FROM audit_log WHERE target = ? ORDER BY id',
        )
        .all(s.pseudonym),
    };
  }

  /**
   * Delete every row of the student and take them out of every list that names them; their queued
   * copies for the district are withdrawn by the caller (the outbox keeps its numbering). Call inside
   * `store.transaction` with the withdrawal and the erasure record, so it happens whole or not at all.
   */
  erase(s: SubjectStudent): Omit<ErasureCounts, 'outbox'> {
    // A check's correction and re-measurement point at the student's own checks: one statement removes them all.
    const healthChecks = this.#db.prepare('DELETE FROM health_checks WHERE student_id = ?').run(s.id).changes;
    const absences = this.#db.prepare('DELETE FROM absences WHERE student_id = ?').run(s.id).changes;
    const healthAlerts = this.#db
      .prepare<[string, string]>(
        `UPDATE health_alerts SET pseudonyms = (SELECT json_group_array(value) FROM json_each(health_alerts.pseudonyms) WHERE value <> ?)
         WHERE EXISTS (SELECT 1 FROM json_each(health_alerts.pseudonyms) WHERE value = ?)`,
      )
      .run(s.pseudonym, s.pseudonym).changes;
    // A quarantined copy names the student by pseudonym (a check, an absence) or lists them (an
    // outbreak signal); pseudonyms are random tokens, so the quoted token is found only where it is.
    const quarantined = this.#db
      .prepare<[string]>('DELETE FROM sync_quarantine WHERE instr(payload, ?) > 0')
      .run(JSON.stringify(s.pseudonym)).changes;
    // The consent register's row goes with the student (ON DELETE CASCADE).
    const students = this.#db.prepare('DELETE FROM students WHERE id = ?').run(s.id).changes;
    return { healthChecks, absences, healthAlerts, quarantined, students };
  }
}
