import type { Db } from '../db.js';

export interface ClassSummary {
  id: string;
  name: string;
  /** Active students. */
  students: number;
}

/** A student as the roster lists them to IT staff (no health data, no guardian phone). */
export interface RosterEntry {
  id: number;
  classId: string;
  studentNo: string;
  name: string;
  cardId: string | null;
  active: boolean;
}

/** What the health records need of a student: who, which class, and the pseudonym that leaves the box. */
export interface StudentRef {
  id: number;
  classId: string;
  studentNo: string;
  name: string;
  pseudonym: string;
  active: boolean;
}

/** A student of an imported roster, with the pseudonym already made. */
export interface RosterImportRow {
  classId: string;
  className: string;
  studentNo: string;
  name: string;
  pseudonym: string;
  /** Upper case. */
  cardId: string | undefined;
  guardianPhone: string | undefined;
}

/** The class roster: classes and students. Names stay on the appliance. */
export class RosterRepo {
  readonly #db: Db;
  readonly #apply;
  constructor(db: Db) {
    this.#db = db;
    this.#apply = db.transaction((rows: readonly RosterImportRow[]) => this.#applyRows(rows));
  }

  classes(): ClassSummary[] {
    return this.#db
      .prepare<[], ClassSummary>(
        'SELECT c.id, c.name, count(s.id) AS students FROM classes c LEFT JOIN students s ON s.class_id = c.id AND s.active = 1 GROUP BY c.id ORDER BY c.id',
      )
      .all();
  }

  student(id: number): StudentRef | undefined {
    const r = this.#db
      .prepare<
        [number],
        { id: number; class_id: string; student_no: string; name: string; pseudonym: string; active: number }
      >('SELECT id, class_id, student_no, name, pseudonym, active FROM students WHERE id = ?')
      .get(id);
    return r
      ? {
          id: r.id,
          classId: r.class_id,
          studentNo: r.student_no,
          name: r.name,
          pseudonym: r.pseudonym,
          active: r.active === 1,
        }
      : undefined;
  }

  /** The active student holding a card (upper case). */
  byCard(card: string): { id: number; name: string; classId: string } | undefined {
    const r = this.#db
      .prepare<[string], { id: number; name: string; class_id: string }>(
        'SELECT id, name, class_id FROM students WHERE card_id = ? AND active = 1',
      )
      .get(card);
    return r ? { id: r.id, name: r.name, classId: r.class_id } : undefined;
  }

  /** A class's active students by student number. */
  activeInClass(classId: string): { id: number; studentNo: string; name: string; cardId: string | null }[] {
    return this.#db
      .prepare<[string], { id: number; student_no: string; name: string; card_id: string | null }>(
        'SELECT id, student_no, name, card_id FROM students WHERE class_id = ? AND active = 1 ORDER BY student_no',
      )
      .all(classId)
      .map((r) => ({ id: r.id, studentNo: r.student_no, name: r.name, cardId: r.card_id }));
  }

  list(): RosterEntry[] {
    return this.#db
      .prepare<
        [],
        { id: number; class_id: string; student_no: string; name: string; card_id: string | null; active: number }
      >('SELECT id, class_id, student_no, name, card_id, active FROM students ORDER BY class_id, student_no')
      .all()
      .map((r) => ({
        id: r.id,
        classId: r.class_id,
        studentNo: r.student_no,
        name: r.name,
        cardId: r.card_id,
        active: r.active === 1,
      }));
  }

  /** Students on the roster, active or not. */
  count(): number {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM students').get()?.n ?? 0;
  }

  /**
   * Apply a roster in one transaction. Students of the file's classes who are not in it are marked
   * inactive, never deleted: their health records stay.
   */
  apply(rows: readonly RosterImportRow[]): { classes: number; students: number; deactivated: number } {
    return this.#apply.immediate(rows);
  }

  #applyRows(rows: readonly RosterImportRow[]): { classes: number; students: number; deactivated: number } {
    const classes = new Map(rows.map((r) => [r.classId, r.className]));
    const upsertClass = this.#db.prepare(
      'INSERT INTO classes (id, name) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name',
    );
    for (const [id, name] of classes) upsertClass.run(id, name);
    // Cards move between students; clear the file's cards first so a swap does not collide.
    const clearCard = this.#db.prepare('UPDATE students SET card_id = NULL WHERE card_id = ?');
    for (const r of rows) if (r.cardId) clearCard.run(r.cardId);
    const upsert = this.#db.prepare(
      `INSERT INTO students (class_id, student_no, name, pseudonym, card_id, guardian_phone, active) VALUES (?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT (student_no) DO UPDATE SET class_id = excluded.class_id, name = excluded.name, card_id = excluded.card_id,
         guardian_phone = excluded.guardian_phone, active = 1`,
    );
    for (const r of rows)
      upsert.run(r.classId, r.studentNo, r.name, r.pseudonym, r.cardId ?? null, r.guardianPhone ?? null);
    let deactivated = 0;
    const nos = new Set(rows.map((r) => r.studentNo));
    const active = this.#db.prepare<[string], { id: number; student_no: string }>(
      'SELECT id, student_no FROM students WHERE class_id = ? AND active = 1',
    );
    const deactivate = this.#db.prepare('UPDATE students SET active = 0 WHERE id = ?');
    for (const cid of classes.keys()) {
      for (const s of active.all(cid)) {
        if (!nos.has(s.student_no)) {
          deactivate.run(s.id);
          deactivated++;
        }
      }
    }
    return { classes: classes.size, students: rows.length, deactivated };
  }
}
