import type { Db } from '../db.js';

/**
 * The day summaries of the room's exposure during lessons (`env_day_summaries`): one row a day,
 * replaced by newer figures; the outbox triggers send every version as `env-days`.
 */
export class EnvDaysRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  put(day: string, payload: Record<string, unknown>, madeAt: number): void {
    this.#db
      .prepare(
        `INSERT INTO env_day_summaries (day, made_at, payload) VALUES (?, ?, ?)
         ON CONFLICT (day) DO UPDATE SET made_at = excluded.made_at, payload = excluded.payload`,
      )
      .run(day, madeAt, JSON.stringify(payload));
  }

  get(day: string): { madeAt: number; payload: Record<string, unknown> } | undefined {
    const r = this.#db
      .prepare<[string], { made_at: number; payload: string }>(
        'SELECT made_at, payload FROM env_day_summaries WHERE day = ?',
      )
      .get(day);
    return r ? { madeAt: r.made_at, payload: JSON.parse(r.payload) as Record<string, unknown> } : undefined;
  }
}
