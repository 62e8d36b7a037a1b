import type pg from 'pg';

/** One class's daily health report as the appliance sent it (`health-days` stream; counts only). */
export interface HealthDayRow {
  applianceId: string;
  school: string;
  day: string;
  seq: number;
  payload: Record<string, unknown>;
}

/** One outbreak signal (`health-alerts` stream, the latest record of its id) with its notes. */
export interface SignalRow {
  applianceId: string;
  school: string;
  payload: Record<string, unknown>;
  notes: { username: string; at: Date; note: string }[];
}

/**
 * The health data the console's health pages read: class-day reports and outbreak signals from the
 * synced records, and the notes on signals. Reads take a school scope (`undefined`: every school)
 * and leave out records of other schools in SQL.
 */
export class HealthStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** The latest report of each class-day from `from` to `to` (days, inclusive). */
  async classDays(from: string, to: string, school: string | undefined): Promise<HealthDayRow[]> {
    const r = await this.#pool.query<{
      appliance_id: string;
      school: string;
      day: Date | string;
      seq: string;
      payload: Record<string, unknown>;
    }>(
      `SELECT DISTINCT ON (r.appliance_id, r.payload->>'class', r.day)
         r.appliance_id, a.school, to_char(r.day, 'YYYY-MM-DD') AS day, r.seq, r.payload
       FROM records r JOIN appliances a ON a.id = r.appliance_id
       WHERE r.stream = 'health-days' AND r.day BETWEEN $1::date AND $2::date AND ($3::text IS NULL OR a.school = $3)
       ORDER BY r.appliance_id, r.payload->>'class', r.day, r.seq DESC`,
      [from, to, school ?? null],
    );
    return r.rows.map((x) => ({
      applianceId: x.appliance_id,
      school: x.school,
      day: String(x.day),
      seq: Number(x.seq),
      payload: x.payload,
    }));
  }

  /** Signals whose last day is `since` or later, each as last sent, with its notes (oldest first). */
  async signals(since: string, school: string | undefined): Promise<SignalRow[]> {
    const r = await this.#pool.query<{
      appliance_id: string;
      school: string;
      payload: Record<string, unknown>;
      notes: { username: string; at: string; note: string }[] | null;
    }>(
      `SELECT s.appliance_id, s.school, s.payload,
         (SELECT json_agg(json_build_object('username', n.username, 'at', n.at, 'note', n.note) ORDER BY n.id)
            FROM console_signal_notes n
           WHERE n.appliance_id = s.appliance_id AND n.signal_id = s.payload->>'id') AS notes
       FROM (
         SELECT DISTINCT ON (r.appliance_id, r.payload->>'id') r.appliance_id, a.school, r.payload, r.day
         FROM records r JOIN appliances a ON a.id = r.appliance_id
         WHERE r.stream = 'health-alerts' AND r.day >= $1::date AND ($2::text IS NULL OR a.school = $2)
         ORDER BY r.appliance_id, r.payload->>'id', r.seq DESC
       ) s
       ORDER BY s.day DESC, s.appliance_id`,
      [since, school ?? null],
    );
    return r.rows.map((x) => ({
      applianceId: x.appliance_id,
      school: x.school,
      payload: x.payload,
      notes: (x.notes ?? []).map((n) => ({ username: n.username, at: new Date(n.at), note: n.note })),
    }));
  }

  /** Whether the signal exists and is in the school scope. */
  async signalInScope(applianceId: string, signalId: string, school: string | undefined): Promise<boolean> {
    const r = await this.#pool.query(
      `SELECT 1 FROM records r JOIN appliances a ON a.id = r.appliance_id
       WHERE r.appliance_id = $1 AND r.stream = 'health-alerts' AND r.payload->>'id' = $2
         AND ($3::text IS NULL OR a.school = $3) LIMIT 1`,
      [applianceId, signalId, school ?? null],
    );
    return (r.rowCount ?? 0) > 0;
  }

  async addNote(applianceId: string, signalId: string, username: string, note: string): Promise<void> {
    await this.#pool.query(
      'INSERT INTO console_signal_notes (appliance_id, signal_id, username, note) VALUES ($1, $2, $3, $4)',
      [applianceId, signalId, username, note],
    );
  }
}
