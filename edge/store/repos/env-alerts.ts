import type { Db } from '../db.js';
import { ADVICE } from '../../messages.js';

type Advice = (typeof ADVICE)[number];
/** A stored advice word the running version no longer has (a rule set of an older one) is left out, not shown raw. */
const isAdvice = (v: string): v is Advice => (ADVICE as readonly string[]).includes(v);
const asAdvice = (v: string | null): Advice | undefined => (v !== null && isAdvice(v) ? v : undefined);

export interface EnvAlert {
  id: number;
  ruleId: string;
  metric: string;
  level: 'warn' | 'alert';
  window: string;
  direction: 'high' | 'low';
  threshold: number;
  advice: Advice | undefined;
  startedAt: number;
  endedAt: number | undefined;
  peak: number;
  value: number;
}

interface Row {
  id: number;
  rule_id: string;
  metric: string;
  level: 'warn' | 'alert';
  win: string;
  direction: 'high' | 'low';
  threshold: number;
  advice: string | null;
  started_at: number;
  ended_at: number | null;
  peak: number;
  last_value: number;
}

const toAlert = (r: Row): EnvAlert => ({
  id: r.id,
  ruleId: r.rule_id,
  metric: r.metric,
  level: r.level,
  window: r.win,
  direction: r.direction,
  threshold: r.threshold,
  advice: asAdvice(r.advice),
  startedAt: r.started_at,
  endedAt: r.ended_at ?? undefined,
  peak: r.peak,
  value: r.last_value,
});

/** Environment alerts with start, end and peak: the record a school shows an inspector. */
export class EnvAlertsRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  open(a: Omit<EnvAlert, 'id' | 'endedAt'>): EnvAlert {
    const r = this.#db
      .prepare(
        'INSERT INTO env_alerts (rule_id, metric, level, win, direction, threshold, advice, started_at, peak, last_value) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        a.ruleId,
        a.metric,
        a.level,
        a.window,
        a.direction,
        a.threshold,
        a.advice ?? null,
        a.startedAt,
        a.peak,
        a.value,
      );
    return { ...a, id: Number(r.lastInsertRowid), endedAt: undefined };
  }

  close(id: number, endedAt: number, peak: number, value: number): void {
    this.#db
      .prepare('UPDATE env_alerts SET ended_at = ?, peak = ?, last_value = ? WHERE id = ?')
      .run(endedAt, peak, value, id);
  }

  updatePeak(id: number, peak: number, value: number): void {
    this.#db.prepare('UPDATE env_alerts SET peak = ?, last_value = ? WHERE id = ?').run(peak, value, id);
  }

  active(): EnvAlert[] {
    return this.#db
      .prepare<[], Row>('SELECT * FROM env_alerts WHERE ended_at IS NULL ORDER BY started_at')
      .all()
      .map(toAlert);
  }

  recent(limit: number): EnvAlert[] {
    return this.#db
      .prepare<[number], Row>('SELECT * FROM env_alerts ORDER BY started_at DESC, id DESC LIMIT ?')
      .all(limit)
      .map(toAlert);
  }
}
