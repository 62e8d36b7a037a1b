import type { Db } from '../db.js';

/** Seconds a panel was on in one lesson slot of a day (slot -1: outside lessons). */
export interface ScreenTimeSlot {
  lesson: number;
  onS: number;
}

/** Per day, panel and lesson: how long the panel was on, against the lesson's length. */
export class ScreenTimeRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  /** Add `seconds` of screen-on time to a slot, and return the slot's total. */
  add(day: string, display: string, lesson: number, seconds: number, lessonSeconds: number): number {
    return (
      this.#db
        .prepare<[string, string, number, number, number], { on_s: number }>(
          `INSERT INTO screen_time (day, display, lesson, on_s, lesson_s) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (day, display, lesson) DO UPDATE SET on_s = on_s + excluded.on_s RETURNING on_s`,
        )
        .get(day, display, lesson, seconds, lessonSeconds)?.on_s ?? 0
    );
  }

  day(day: string, display: string): ScreenTimeSlot[] {
    return this.#db
      .prepare<[string, string], { lesson: number; on_s: number }>(
        'SELECT lesson, on_s FROM screen_time WHERE day = ? AND display = ?',
      )
      .all(day, display)
      .map((r) => ({ lesson: r.lesson, onS: r.on_s }));
  }
}
