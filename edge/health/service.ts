import { BaseComponent, type TypedEmitter } from '../runtime/component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { Absence, Check, CheckResult } from '../store/repos/health.js';
import type { StudentRef } from '../store/repos/roster.js';
import type { LiveEvents } from '../messages.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { localTime, toMinute } from '../config/timetable.js';
import { compensate } from './config.js';
import { evaluateClusters, type Case } from './clusters.js';
import { SYMPTOMS, ABSENCE_REASONS, type Symptom, type AbsenceReason } from './symptoms.js';
import { dailyReport } from './report.js';

export type { Check, CheckResult, Absence } from '../store/repos/health.js';

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

  #reportTimer: NodeJS.Timeout | undefined;

  today(): string {
    return localTime(this.#now(), this.#o.config.appliance.timezone).date;
  }

  async start(): Promise<void> {
    this.#unsubscribe = this.#o.bus.on('card.read', (e) => this.#onCard(e.deviceId, e.card));
    // A report time passed while the box was off is made now.
    try {
      this.#reportIfDue();
    } catch (err) {
      this.#o.log.error({ err }, 'daily health report to the district not made; tried again in a minute');
    }
    this.#reportTimer = this.every(
      60_000,
      () => this.#reportIfDue(),
      (err) => this.#o.log.error({ err }, 'daily health report to the district not made; tried again in a minute'),
    );
    this.setState('running');
  }

  async stop(): Promise<void> {
    this.#unsubscribe?.();
    if (this.#reportTimer) clearInterval(this.#reportTimer);
    this.#reportTimer = undefined;
    this.setState('stopped');
  }

  /** The report times of today already made (meta `health-day-reported`: `<day> <HH:MM>...`). */
  #reportIfDue(): void {
    const now = this.#now();
    const t = localTime(now, this.#o.config.appliance.timezone);
    const done = (this.#o.store.meta.get('health-day-reported') ?? '').split(' ');
    const due = this.#o.config.health.districtReportTimes.filter(
      (hhmm) => toMinute(hhmm) <= t.minute && !(done[0] === t.date && done.includes(hhmm)),
    );
    if (due.length === 0) return;
    this.reportToDistrict(t.date);
    this.#o.store.meta.set(
      'health-day-reported',
      [t.date, ...(done[0] === t.date ? done.slice(1) : []), ...due].join(' '),
    );
  }

  /**
   * Each class's daily report for `day` to the district (counts only; edge/health/report.ts), for
   * the classes whose check ran that day (a check or an absence recorded): the rest made no report.
   * Returns the classes reported.
   */
  reportToDistrict(day = this.today()): string[] {
    const made: string[] = [];
    for (const c of this.classes()) {
      const r = dailyReport(this, c.id, day);
      const absent = r.absent.illness + r.absent.personal + r.absent.other + r.absent.unknown;
      if (r.checked + absent === 0) continue;
      const { students: _names, classId: _id, day: _day, ...counts } = r;
      this.#o.store.health.putDayReport(c.id, day, counts, this.#now());
      made.push(c.id);
    }
    return made;
  }

  #onCard(reader: string, card: string): void {
    const s = this.#o.store.roster.byCard(card.toUpperCase());
    if (!s) {
      this.#o.log.warn({ reader }, 'card not on the roster');
      return;
    }
    this.#o.bus.safeEmit('health.identified', { studentId: s.id, name: s.name, classId: s.classId, via: reader });
  }

  classes(): { id: string; name: string; students: number }[] {
    return this.#o.store.roster.classes();
  }

  defaultClass(): string {
    const configured = this.#o.config.health.classId;
    if (configured) return configured;
    const first = this.classes()[0];
    if (!first) throw new NotFoundError('no class on the roster yet: import the roster CSV first');
    return first.id;
  }

  #student(id: number): StudentRef {
    const s = this.#o.store.roster.student(id);
    if (!s) throw new NotFoundError(`no student ${id}`);
    return s;
  }

  check(id: number): Check {
    const c = this.#o.store.health.check(id);
    if (!c) throw new NotFoundError(`no check ${id}`);
    return c;
  }

  /** A student's whole record: roster entry, every check with its corrections, every absence. */
  record(studentId: number): { student: StudentRef; checks: Check[]; absences: Absence[] } {
    const student = this.#student(studentId);
    return {
      student,
      checks: this.#o.store.health.checksOf(student.id),
      absences: this.#o.store.health.absencesOf(student.id),
    };
  }

  #validate(input: CheckInput): void {
    const issues = [];
    const range = this.#o.config.health.humanRangeC;
    if (input.tempRawC !== undefined && (input.tempRawC < range.minC || input.tempRawC > range.maxC)) {
      issues.push({
        path: '/tempRawC',
        expected: `a forehead reading in ${range.minC}..${range.maxC} °C (measure again)`,
        value: input.tempRawC,
      });
    }
    for (const s of input.symptoms)
      if (!(SYMPTOMS as readonly string[]).includes(s))
        issues.push({ path: '/symptoms', expected: `one of ${SYMPTOMS.join(', ')}`, value: s });
    if (issues.length) throw new ValidationError('check', issues);
  }

  /** Record a check (or the re-measure of a fever). */
  recordCheck(input: CheckInput, actor: string): Check {
    this.#validate(input);
    const student = this.#student(input.studentId);
    const now = this.#now();
    const day = this.today();
    const cfg = this.#o.config.health;
    const comp =
      input.tempRawC !== undefined ? compensate(input.tempRawC, input.ambientC, cfg.compensation) : undefined;
    const prev = this.#o.store.health.current(student.id, day);
    const fever = comp !== undefined && comp.compensatedC >= cfg.feverC;
    let result: CheckResult;
    let remeasureOf: number | null = null;
    if (prev?.result === 'fever-pending' && comp !== undefined) {
      const due = prev.checkedAt + cfg.remeasureAfterMinutes * 60_000;
      if (now < due)
        throw new ConflictError(
          `measure again from ${new Date(due).toISOString()} (${cfg.remeasureAfterMinutes} minutes after the first reading)`,
        );
      remeasureOf = prev.id;
      result = fever ? 'fever-confirmed' : 'fever-cleared';
    } else result = fever ? 'fever-pending' : input.symptoms.length > 0 ? 'symptoms' : 'normal';
    const id = this.#o.store.health.insertCheck({
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
    this.#o.store.audit.record({
      actor,
      action: 'health.check',
      target: student.pseudonym,
      result: 'ok',
      detail: { result },
    });
    this.#evaluate(student.classId, day);
    return this.check(id);
  }

  /** A correction is a new record that supersedes the old one; the old one stays, with who and why. */
  correctCheck(
    id: number,
    change: { symptoms?: Symptom[]; notes?: string; result?: CheckResult },
    reason: string,
    actor: string,
  ): Check {
    const old = this.check(id);
    if (old.supersededBy !== null)
      throw new ConflictError(`check ${id} was already corrected by ${old.supersededBy}; correct that one`);
    if (!reason.trim())
      throw new ValidationError('correction', [{ path: '/reason', expected: 'why the record is corrected' }]);
    this.#validate({ studentId: old.studentId, symptoms: change.symptoms ?? [] });
    const health = this.#o.store.health;
    const newId = this.#o.store.transaction(() => {
      const nid = health.insertCheck({
        ...old,
        symptoms: change.symptoms ?? old.symptoms,
        notes: change.notes ?? old.notes,
        result: change.result ?? old.result,
        recordedBy: actor,
        corrects: old.id,
        correctionReason: reason,
        checkedAt: this.#now(),
      });
      health.markSuperseded(old.id, nid);
      return nid;
    });
    const student = this.#student(old.studentId);
    this.#o.store.audit.record({
      actor,
      action: 'health.correct',
      target: student.pseudonym,
      result: 'ok',
      detail: { check: id, reason },
    });
    this.#evaluate(student.classId, old.day);
    return this.check(newId);
  }

  recordAbsence(
    input: { studentId: number; day?: string; reason: AbsenceReason; symptoms?: Symptom[]; onsetDay?: string },
    actor: string,
  ): Absence {
    if (!(ABSENCE_REASONS as readonly string[]).includes(input.reason))
      throw new ValidationError('absence', [
        { path: '/reason', expected: ABSENCE_REASONS.join(', '), value: input.reason },
      ]);
    this.#validate({ studentId: input.studentId, symptoms: input.symptoms ?? [] });
    const student = this.#student(input.studentId);
    const day = input.day ?? this.today();
    this.#o.store.health.upsertAbsence({
      studentId: student.id,
      day,
      reason: input.reason,
      symptoms: input.symptoms ?? [],
      onsetDay: input.onsetDay ?? null,
      recordedBy: actor,
      recordedAt: this.#now(),
    });
    this.#o.store.audit.record({
      actor,
      action: 'health.absence',
      target: student.pseudonym,
      result: 'ok',
      detail: { reason: input.reason },
    });
    this.#evaluate(student.classId, day);
    return this.#o.store.health.absence(student.id, day) as Absence;
  }

  followUp(absenceId: number, note: string, returnedDay: string | undefined, actor: string): Absence {
    const health = this.#o.store.health;
    if (!health.absenceById(absenceId)) throw new NotFoundError(`no absence ${absenceId}`);
    health.addFollowUp(absenceId, { at: this.#now(), by: actor, note }, returnedDay);
    return health.absenceById(absenceId) as Absence;
  }

  /**
   * Every student of a class with the day's check, absence and status. After the check window, no check means absent.
   */
  day(classId: string, day = this.today()): StudentDay[] {
    const cfg = this.#o.config.health;
    const local = localTime(this.#now(), this.#o.config.appliance.timezone);
    const windowOver = day < local.date || (day === local.date && local.minute >= toMinute(cfg.checkWindow.to));
    const students = this.#o.store.roster.activeInClass(classId);
    return students.map((s) => {
      const check = this.#o.store.health.current(s.id, day);
      const absence = this.#o.store.health.absence(s.id, day);
      const status: StudentDay['status'] = check ? check.result : absence || windowOver ? 'absent' : 'unchecked';
      return {
        studentId: s.id,
        studentNo: s.studentNo,
        name: s.name,
        cardId: s.cardId,
        check,
        remeasureDueAt: check?.result === 'fever-pending' ? check.checkedAt + cfg.remeasureAfterMinutes * 60_000 : null,
        absence,
        status,
      };
    });
  }

  /**
   * Students in the room today by the morning check (checked, and not sent home with a confirmed
   * fever): the head-up rate's denominator. Only once the check is complete, every student checked
   * or reported absent; before that undefined, and the configured class size counts. Two pupils
   * checked at 07:40 are not a class of two: eleven faces against them read as 100 %.
   */
  presentToday(): number | undefined {
    if (this.classes().length === 0) return undefined;
    const day = this.day(this.defaultClass());
    if (day.length === 0 || !day.every((s) => s.check || s.absence)) return undefined;
    return day.filter((s) => s.check && s.check.result !== 'fever-confirmed').length;
  }

  /** Cases of one class over the last 14 days, one per student per day. */
  cases(classId: string, until: string): Case[] {
    const from = new Date(Date.parse(`${until}T00:00:00Z`) - 14 * 86_400_000).toISOString().slice(0, 10);
    const byKey = new Map<string, Case>();
    const add = (pseudonym: string, day: string, symptoms: Symptom[], feverC?: number): void => {
      const key = `${pseudonym}/${day}`;
      const c = byKey.get(key) ?? { pseudonym, day, symptoms: [] };
      byKey.set(key, {
        ...c,
        symptoms: [...new Set([...c.symptoms, ...symptoms])],
        ...(feverC !== undefined || c.feverC !== undefined ? { feverC: Math.max(feverC ?? 0, c.feverC ?? 0) } : {}),
      });
    };
    for (const r of this.#o.store.health.cases(classId, from, until)) add(r.pseudonym, r.day, r.symptoms, r.feverC);
    return [...byKey.values()];
  }

  #evaluate(classId: string, day: string): void {
    for (const s of evaluateClusters(this.cases(classId, day), day)) {
      const id = this.#o.store.health.raiseAlert(
        {
          classId,
          rule: s.rule,
          category: s.category,
          firstDay: s.firstDay,
          lastDay: s.lastDay,
          cases: s.cases,
          pseudonyms: s.pseudonyms,
        },
        this.#now(),
      );
      if (id === undefined) continue;
      const stored = this.#o.store.health.alert(id);
      if (!stored) continue;
      this.#o.log.warn(
        { classId, rule: s.rule, category: s.category, cases: stored.cases, signal: id },
        'health cluster signal: report within 24 h',
      );
      this.#o.bus.safeEmit('health.alert', stored);
    }
  }

  alerts(classId?: string): LiveEvents['health.alert'][] {
    return this.#o.store.health.alerts(classId);
  }

  /**
   * The signals a panel shows: every one not yet reported (of the last 14 days, the cases' window),
   * one reported today (so the panel says 已上报 and when), and one whose cluster grew after it was
   * reported. One per cluster: rows raised twice for one cluster before that was fixed show once.
   */
  openAlerts(): LiveEvents['health.alert'][] {
    const today = this.today();
    const from = new Date(Date.parse(`${today}T00:00:00Z`) - 13 * 86_400_000).toISOString().slice(0, 10);
    const tz = this.#o.config.appliance.timezone;
    const seen = new Set<string>();
    return this.#o.store.health.alerts().filter((a) => {
      const key = `${a.classId}|${a.rule}|${a.category}|${a.lastDay}`;
      if (seen.has(key)) return false;
      seen.add(key);
      if (a.reportedAt === null) return a.lastDay >= from;
      return a.cases > (a.reportedCases ?? 0) || localTime(a.reportedAt, tz).date === today;
    });
  }

  /** 已上报: the signal was reported to the CDC and the education bureau. Audited; every panel is told. */
  markReported(id: number, actor: string, actorName: string): LiveEvents['health.alert'] {
    const health = this.#o.store.health;
    const before = Number.isSafeInteger(id) ? health.alert(id) : undefined;
    if (!before) throw new NotFoundError(`no outbreak signal ${id}`);
    health.markAlertReported(id, this.#now(), actor, actorName);
    const after = health.alert(id) as LiveEvents['health.alert'];
    this.#o.store.audit.record({
      actor,
      action: 'health.alert-reported',
      target: before.classId,
      result: 'ok',
      detail: {
        signal: id,
        rule: before.rule,
        category: before.category,
        cases: before.cases,
        again: before.reportedAt !== null,
      },
    });
    this.#o.bus.safeEmit('health.alert', after);
    return after;
  }
}
