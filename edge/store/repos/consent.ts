import type { Db } from '../db.js';
import type { ConsentStatus } from '../../health/consent.js';

/** What the register holds for one student; `status: 'unknown'` when nothing was ever recorded. */
export interface Consent {
  studentId: number;
  status: ConsentStatus | 'unknown';
  source: 'roster' | 'school' | null;
  recordedAt: number | null;
  recordedBy: string | null;
}

/**
 * The guardian consent register: one row per student, the latest word. The outbox triggers read it
 * (migration 9): a student's own records go to the district only while it says `given`.
 */
export class ConsentRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  get(studentId: number): Consent {
    const r = this.#db
      .prepare<
        [number],
        { status: ConsentStatus; source: 'roster' | 'school'; recorded_at: number; recorded_by: string }
      >('SELECT status, source, recorded_at, recorded_by FROM guardian_consent WHERE student_id = ?')
      .get(studentId);
    return r
      ? { studentId, status: r.status, source: r.source, recordedAt: r.recorded_at, recordedBy: r.recorded_by }
      : { studentId, status: 'unknown', source: null, recordedAt: null, recordedBy: null };
  }

  /** What the school recorded (the guardian's form, a withdrawal): always the latest word. */
  recordBySchool(studentId: number, status: ConsentStatus, by: string, at = Date.now()): void {
    this.#db
      .prepare(
        `INSERT INTO guardian_consent (student_id, status, source, recorded_at, recorded_by) VALUES (?, ?, 'school', ?, ?)
         ON CONFLICT (student_id) DO UPDATE SET status = excluded.status, source = 'school', recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by`,
      )
      .run(studentId, status, at, by);
  }

  /**
   * The roster's consent column for one student (by student number). It does not override what the
   * school recorded itself: a guardian who withdrew at the school is not consenting again because an
   * older district export says so. Returns whether it was applied.
   */
  recordFromRoster(studentNo: string, status: ConsentStatus, by: string, at = Date.now()): boolean {
    return (
      this.#db
        .prepare(
          `INSERT INTO guardian_consent (student_id, status, source, recorded_at, recorded_by)
           SELECT id, ?, 'roster', ?, ? FROM students WHERE student_no = ?
           ON CONFLICT (student_id) DO UPDATE SET status = excluded.status, recorded_at = excluded.recorded_at, recorded_by = excluded.recorded_by
           WHERE guardian_consent.source = 'roster'`,
        )
        .run(status, at, by, studentNo).changes > 0
    );
  }
}
