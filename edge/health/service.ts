import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { LiveEvents } from '../messages.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { localTime, toMinute } from '../config/timetable.js';
import { compensate } from './config.js';
import { evaluateClusters, type Case } from './clusters.js';
import { SYMPTOMS, ABSENCE_REASONS, type Symptom, type AbsenceReason } from './symptoms.js';

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

export interface StudentDay {
  studentId: number;
  studentNo: string;
  name: string;
  cardId: string | null;
  check: Check | null;
  /** When a fever must be measured again (ms), while the first reading waits for it. */
  remeasureDueAt: number | null;
  absence: Absence | null;
  status: CheckResult | 'absent' | 'unchecked';
}

export interface CheckInput {
  studentId: number;
  tempRawC?: number;
  ambientC?: number;
  symptoms: Symptom[];
  notes?: string;
}

/**
 * The morning check at the classroom door: students identified by card or by a tap on the list,
 * temperatures compensated openly, fevers measured again before they count, absences followed up,
 * and class-level outbreak rules evaluated on the appliance itself.
 */
export class HealthService extends BaseComponent {
  readonly name = 'health';
  readonly kind = 'health-service';
  readonly #o: { config: Config; store: Store; bus: TypedEmitter<LiveEvents>; log: Logger; now?: () => number };
  #unsubscribe: (() => void) | undefined;

  constructor(o: { config: Config; store: Store; bus: TypedEmitter<LiveEvents>; log: Logger; now?: () => number }) {
    super();
    this.#o = o;
  }

  #now(): number {
    return this.#o.now?.() ?? Date.now();
  }

  today(): string {
    return localTime(this.#now(), this.#o.config.appliance.timezone).date;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#o.bus.on('card.read', (e) => this.#onCard(e.deviceId, e.card));
    this.setState('running');
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.setState('stopped');
  }

  #onCard(reader: string, card: string): void {
    const s = this.#o.store.db
      .prepare<[string], { id: number; name: string; class_id: string }>('SELECT id, name, class_id FROM students WHERE card_id = ? AND active = 1')
      .get(card.toUpperCase());
    if (!s) {
      this.#o.log.warn({ reader }, 'card not on the roster');
      return;
    }
    this.#o.bus.safeEmit('health.identified', { studentId: s.id, name: s.name, classId: s.class_id, via: reader });
  }

  classes(): { id: string; name: string; students: number }[] {
    return this.#o.store.db
      .prepare<[], { id: string; name: string; students: number }>(
        'SELECT c.id, c.name, count(s.id) AS students FROM classes c LEFT JOIN students s ON s.class_id = c.id AND s.active = 1 GROUP BY c.id ORDER BY c.id',
      )
      .all();
  }

  defaultClass(): string {
    const configured = this.#o.config.health.classId;
    if (configured) return configured;
    const first = this.classes()[0];
    if (!first) throw new NotFoundError('no class on the roster yet: import the roster CSV first');
    return first.id;
  }

  #student(id: number): { id: number; class_id: string; name: string; pseudonym: string } {
    const s = this.#o.store.db.prepare<[number], { id: number; class_id: string; name: string; pseudonym: string }>('SELECT id, class_id, name, pseudonym FROM students WHERE id = ?').get(id);
    if (!s) throw new NotFoundError(`no student ${id}`);
    return s;
  }

  #current(studentId: number, day: string): Check | null {
    const r = this.#o.store.db
      .prepare<[number, string], CheckRow>('SELECT * FROM health_checks WHERE student_id = ? AND day = ? AND superseded_by IS NULL ORDER BY checked_at DESC, id DESC LIMIT 1')
      .get(studentId, day);
    return r ? toCheck(r) : null;
  }

  check(id: number): Check {
    const r = this.#o.store.db.prepare<[number], CheckRow>('SELECT * FROM health_checks WHERE id = ?').get(id);
    if (!r) throw new NotFoundError(`no check ${id}`);
    return toCheck(r);
  }

  #validate(input: CheckInput): void {
    const issues = [];
    const range = this.#o.config.health.humanRangeC;
    if (input.tempRawC !== undefined && (input.tempRawC < range.minC || input.tempRawC > range.maxC)) {
      issues.push({ path: '/tempRawC', expected: `a forehead reading in ${range.minC}..${range.maxC} °C (measure again)`, value: input.tempRawC });
    }
    for (const s of input.symptoms) if (!(SYMPTOMS as readonly string[]).includes(s)) issues.push({ path: '/symptoms', expected: `one of ${SYMPTOMS.join(', ')}`, value: s });
    if (issues.length) throw new ValidationError('check', issues);
  }

  /** Record a check (or the re-measure of a fever). */
  recordCheck(input: CheckInput, actor: string): Check {
    this.#validate(input);
    const student = this.#student(input.studentId);
    const now = this.#now();
    const day = this.today();
    const cfg = this.#o.config.health;
    const comp = input.tempRawC !== undefined ? compensate(input.tempRawC, input.ambientC, cfg.compensation) : undefined;
    const prev = this.#current(student.id, day);
    const fever = comp !== undefined && comp.compensatedC >= cfg.feverC;
    let result: CheckResult;
    let remeasureOf: number | null = null;
    if (prev?.result === 'fever-pending' && comp !== undefined) {
      const due = prev.checkedAt + cfg.remeasureAfterMinutes * 60_000;
      if (now < due) throw new ConflictError(`measure again from ${new Date(due).toISOString()} (${cfg.remeasureAfterMinutes} minutes after the first reading)`);
      remeasureOf = prev.id;
      result = fever ? 'fever-confirmed' : 'fever-cleared';
    } else result = fever ? 'fever-pending' : input.symptoms.length > 0 ? 'symptoms' : 'normal';
    const id = this.#insert({
      studentId: student.id,
      day,
      checkedAt: now,
      tempRawC: input.tempRawC ?? null,
      ambientC: input.ambientC ?? null,
      tempC: comp?.compensatedC ?? null,
      compensation: comp?.method ?? null,
      symptoms: [...new Set(input.symptoms)],
      notes: input.notes ?? '',
      result,
      remeasureOf,
      recordedBy: actor,
      corrects: null,
      correctionReason: null,
    });
    this.#o.store.audit.record({ actor, action: 'health.check', target: student.pseudonym, result: 'ok', detail: { result } });
    this.#evaluate(student.class_id, day);
    return this.check(id);
  }

  #insert(c: Omit<Check, 'id' | 'supersededBy'>): number {
    const r = this.#o.store.db
      .prepare(
        `INSERT INTO health_checks (student_id, day, checked_at, temp_raw, temp_ambient, temp_compensated, compensation, symptoms, notes, result, remeasure_of, recorded_by, corrects, correction_reason)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(c.studentId, c.day, c.checkedAt, c.tempRawC, c.ambientC, c.tempC, c.compensation, JSON.stringify(c.symptoms), c.notes, c.result, c.remeasureOf, c.recordedBy, c.corrects, c.correctionReason);
    return Number(r.lastInsertRowid);
  }

  /** A correction is a new record that supersedes the old one; the old one stays, with who and why. */
  correctCheck(id: number, change: { symptoms?: Symptom[]; notes?: string; result?: CheckResult }, reason: string, actor: string): Check {
    const old = this.check(id);
    if (old.supersededBy !== null) throw new ConflictError(`check ${id} was already corrected by ${old.supersededBy}; correct that one`);
    if (!reason.trim()) throw new ValidationError('correction', [{ path: '/reason', expected: 'why the record is corrected' }]);
    this.#validate({ studentId: old.studentId, symptoms: change.symptoms ?? [] });
    const newId = this.#o.store.db
      .transaction(() => {
        const nid = this.#insert({ ...old, symptoms: change.symptoms ?? old.symptoms, notes: change.notes ?? old.notes, result: change.result ?? old.result, recordedBy: actor, corrects: old.id, correctionReason: reason, checkedAt: this.#now() });
        this.#o.store.db.prepare('UPDATE health_checks SET superseded_by = ? WHERE id = ?').run(nid, old.id);
        return nid;
      })
      .immediate();
    const student = this.#student(old.studentId);
    this.#o.store.audit.record({ actor, action: 'health.correct', target: student.pseudonym, result: 'ok', detail: { check: id, reason } });
    this.#evaluate(student.class_id, old.day);
    return this.check(newId);
  }

  recordAbsence(input: { studentId: number; day?: string; reason: AbsenceReason; symptoms?: Symptom[]; onsetDay?: string }, actor: string): Absence {
    if (!(ABSENCE_REASONS as readonly string[]).includes(input.reason)) throw new ValidationError('absence', [{ path: '/reason', expected: ABSENCE_REASONS.join(', '), value: input.reason }]);
    this.#validate({ studentId: input.studentId, symptoms: input.symptoms ?? [] });
    const student = this.#student(input.studentId);
    const day = input.day ?? this.today();
    this.#o.store.db
      .prepare(
        `INSERT INTO absences (student_id, day, reason, symptoms, onset_day, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (student_id, day) DO UPDATE SET reason = excluded.reason, symptoms = excluded.symptoms, onset_day = excluded.onset_day,
           follow_up = json_insert(follow_up, '$[#]', json_object('at', excluded.recorded_at, 'by', excluded.recorded_by, 'note', 'reason changed to ' || excluded.reason))`,
      )
      .run(student.id, day, input.reason, JSON.stringify(input.symptoms ?? []), input.onsetDay ?? null, actor, this.#now());
    this.#o.store.audit.record({ actor, action: 'health.absence', target: student.pseudonym, result: 'ok', detail: { reason: input.reason } });
    this.#evaluate(student.class_id, day);
    return this.#absence(student.id, day) as Absence;
  }

  followUp(absenceId: number, note: string, returnedDay: string | undefined, actor: string): Absence {
    const r = this.#o.store.db.prepare<[number], { student_id: number; day: string }>('SELECT student_id, day FROM absences WHERE id = ?').get(absenceId);
    if (!r) throw new NotFoundError(`no absence ${absenceId}`);
    this.#o.store.db
      .prepare("UPDATE absences SET follow_up = json_insert(follow_up, '$[#]', json_object('at', ?, 'by', ?, 'note', ?)), returned_day = coalesce(?, returned_day) WHERE id = ?")
      .run(this.#now(), actor, note, returnedDay ?? null, absenceId);
    return this.#absence(r.student_id, r.day) as Absence;
  }

  #absence(studentId: number, day: string): Absence | null {
    const r = this.#o.store.db
      .prepare<[number, string], { id: number; student_id: number; day: string; reason: AbsenceReason; symptoms: string; onset_day: string | null; returned_day: string | null; follow_up: string }>(
        'SELECT * FROM absences WHERE student_id = ? AND day = ?',
      )
      .get(studentId, day);
    return r
      ? { id: r.id, studentId: r.student_id, day: r.day, reason: r.reason, symptoms: JSON.parse(r.symptoms) as Symptom[], onsetDay: r.onset_day, returnedDay: r.returned_day, followUp: JSON.parse(r.follow_up) as Absence['followUp'] }
      : null;
  }

  /** Every student of a class with the day's check, absence and status. After the check window, no check means absent. */
  day(classId: string, day = this.today()): StudentDay[] {
    const cfg = this.#o.config.health;
    const local = localTime(this.#now(), this.#o.config.appliance.timezone);
    const windowOver = day < local.date || (day === local.date && local.minute >= toMinute(cfg.checkWindow.to));
    const students = this.#o.store.db
      .prepare<[string], { id: number; student_no: string; name: string; card_id: string | null }>('SELECT id, student_no, name, card_id FROM students WHERE class_id = ? AND active = 1 ORDER BY student_no')
      .all(classId);
    return students.map((s) => {
      const check = this.#current(s.id, day);
      const absence = this.#absence(s.id, day);
      const status: StudentDay['status'] = check ? check.result : absence || windowOver ? 'absent' : 'unchecked';
      return {
        studentId: s.id,
        studentNo: s.student_no,
        name: s.name,
        cardId: s.card_id,
        check,
        remeasureDueAt: check?.result === 'fever-pending' ? check.checkedAt + cfg.remeasureAfterMinutes * 60_000 : null,
        absence,
        status,
      };
    });
  }

  /**
   * Students in the room today by the morning check (checked, and not sent home with a confirmed
   * fever), or undefined when no one has been checked today: the head-up rate's denominator.
   */
  presentToday(): number | undefined {
    if (this.classes().length === 0) return undefined;
    const day = this.day(this.defaultClass());
    if (!day.some((s) => s.check)) return undefined;
    return day.filter((s) => s.check && s.check.result !== 'fever-confirmed').length;
  }

  /** Cases of one class over the last 14 days, one per student per day. */
  cases(classId: string, until: string): Case[] {
    const from = new Date(Date.parse(`${until}T00:00:00Z`) - 14 * 86_400_000).toISOString().slice(0, 10);
    const byKey = new Map<string, Case>();
    const add = (pseudonym: string, day: string, symptoms: Symptom[], feverC?: number): void => {
      const key = `${pseudonym}/${day}`;
      const c = byKey.get(key) ?? { pseudonym, day, symptoms: [] };
      byKey.set(key, { ...c, symptoms: [...new Set([...c.symptoms, ...symptoms])], ...(feverC !== undefined || c.feverC !== undefined ? { feverC: Math.max(feverC ?? 0, c.feverC ?? 0) } : {}) });
    };
    for (const r of this.#o.store.db
      .prepare<[string, string, string], { pseudonym: string; day: string; symptoms: string; result: CheckResult; temp_compensated: number | null }>(
        `SELECT s.pseudonym, h.day, h.symptoms, h.result, h.temp_compensated FROM health_checks h JOIN students s ON s.id = h.student_id
         WHERE s.class_id = ? AND h.day BETWEEN ? AND ? AND h.superseded_by IS NULL AND h.result IN ('symptoms', 'fever-confirmed')`,
      )
      .all(classId, from, until)) {
      add(r.pseudonym, r.day, JSON.parse(r.symptoms) as Symptom[], r.result === 'fever-confirmed' ? (r.temp_compensated ?? undefined) : undefined);
    }
    for (const r of this.#o.store.db
      .prepare<[string, string, string], { pseudonym: string; day: string; symptoms: string }>(
        "SELECT s.pseudonym, a.day, a.symptoms FROM absences a JOIN students s ON s.id = a.student_id WHERE s.class_id = ? AND a.day BETWEEN ? AND ? AND a.reason = 'illness'",
      )
      .all(classId, from, until)) {
      add(r.pseudonym, r.day, JSON.parse(r.symptoms) as Symptom[]);
    }
    return [...byKey.values()];
  }

  #evaluate(classId: string, day: string): void {
    for (const s of evaluateClusters(this.cases(classId, day), day)) {
      const r = this.#o.store.db
        .prepare('INSERT INTO health_alerts (class_id, rule, category, first_day, last_day, cases, raised_at, pseudonyms) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(classId, s.rule, s.category, s.firstDay, s.lastDay, s.cases, this.#now(), JSON.stringify(s.pseudonyms));
      if (r.changes === 0) continue;
      this.#o.log.warn({ classId, rule: s.rule, category: s.category, cases: s.cases }, 'health cluster signal: report within 24 h');
      this.#o.bus.safeEmit('health.alert', { id: Number(r.lastInsertRowid), classId, rule: s.rule, category: s.category, firstDay: s.firstDay, lastDay: s.lastDay, cases: s.cases });
    }
  }

  alerts(classId?: string): LiveEvents['health.alert'][] {
    return this.#o.store.db
      .prepare<[string | null, string | null], { id: number; class_id: string; rule: string; category: string; first_day: string; last_day: string; cases: number }>(
        'SELECT * FROM health_alerts WHERE (? IS NULL OR class_id = ?) ORDER BY raised_at DESC LIMIT 100',
      )
      .all(classId ?? null, classId ?? null)
      .map((r) => ({ id: r.id, classId: r.class_id, rule: r.rule, category: r.category, firstDay: r.first_day, lastDay: r.last_day, cases: r.cases }));
  }
}
