import type { Config } from '../config/schema.js';
import { join } from 'node:path';
import { openDb, schemaVersion, type Db } from './db.js';
import { readJournal } from './readings-journal.js';
import { AuditRepo } from './repos/audit.js';
import { ClockRepo } from './repos/clock.js';
import { DevicesRepo } from './repos/devices.js';
import { ReadingsRepo } from './repos/readings.js';
import { SessionsRepo } from './repos/sessions.js';
import { UsersRepo } from './repos/users.js';
import { EnvAlertsRepo } from './repos/env-alerts.js';
import { EnvDaysRepo } from './repos/env-days.js';
import { LessonsRepo } from './repos/lessons.js';
import { RosterRepo } from './repos/roster.js';
import { HealthRepo } from './repos/health.js';
import { MetaRepo } from './repos/meta.js';
import { OutboxRepo } from './repos/outbox.js';
import { ScreenTimeRepo } from './repos/screen-time.js';
import { RollupsRepo } from './repos/rollups.js';
import { RetentionRepo } from './repos/retention.js';
import { SubjectRepo } from './repos/subject.js';
import { ConsentRepo } from './repos/consent.js';
import { QuarantineRepo } from './repos/quarantine.js';
import { SystemHistoryRepo } from './repos/system-history.js';
import { DiskRepo } from './repos/disk.js';
import { StreamRebaseRepo } from './repos/stream-rebase.js';
import { checkAtStart, salvage, type IntegrityResult } from './integrity.js';

/**
 * The appliance database and one repository per data class. Shared by the runtime and the CLI.
 * The connection is private: SQL lives only in the repositories (a test enforces it), and work
 * that spans several of them is made atomic with `transaction`.
 */
export class Store {
  readonly #db: Db;
  readonly audit: AuditRepo;
  readonly devices: DevicesRepo;
  readonly readings: ReadingsRepo;
  readonly sessions: SessionsRepo;
  readonly users: UsersRepo;
  readonly envAlerts: EnvAlertsRepo;
  readonly envDays: EnvDaysRepo;
  readonly lessons: LessonsRepo;
  readonly roster: RosterRepo;
  readonly health: HealthRepo;
  readonly meta: MetaRepo;
  readonly outbox: OutboxRepo;
  readonly screenTime: ScreenTimeRepo;
  readonly rollups: RollupsRepo;
  readonly retention: RetentionRepo;
  readonly clock: ClockRepo;
  readonly subject: SubjectRepo;
  readonly consent: ConsentRepo;
  readonly quarantine: QuarantineRepo;
  readonly systemHistory: SystemHistoryRepo;
  readonly disk: DiskRepo;
  readonly streamRebase: StreamRebaseRepo;
  /** The start's integrity check (`Store.open` with `checkIntegrity`): its time, and the recovery if damaged. */
  integrity: IntegrityResult | undefined;
  #closed = false;

  constructor(db: Db) {
    this.#db = db;
    this.audit = new AuditRepo(db);
    this.devices = new DevicesRepo(db);
    this.readings = new ReadingsRepo(db);
    this.sessions = new SessionsRepo(db);
    this.users = new UsersRepo(db);
    this.envAlerts = new EnvAlertsRepo(db);
    this.envDays = new EnvDaysRepo(db);
    this.lessons = new LessonsRepo(db);
    this.roster = new RosterRepo(db);
    this.health = new HealthRepo(db);
    this.meta = new MetaRepo(db);
    this.outbox = new OutboxRepo(db);
    this.screenTime = new ScreenTimeRepo(db);
    this.rollups = new RollupsRepo(db);
    this.retention = new RetentionRepo(db);
    this.clock = new ClockRepo(db);
    this.subject = new SubjectRepo(db);
    this.consent = new ConsentRepo(db);
    this.quarantine = new QuarantineRepo(db);
    this.systemHistory = new SystemHistoryRepo(db);
    this.disk = new DiskRepo(db);
    this.streamRebase = new StreamRebaseRepo(db);
  }

  /**
   * Open the database. `checkIntegrity` (the appliance's start, not the CLI's commands, which may run
   * beside it) checks the file first and moves a damaged one aside for a fresh one
   * (edge/store/integrity.ts, docs/disk-full-and-corruption.md).
   */
  static open(
    config: { dataDir: string; store: Pick<Config['store'], 'synchronous'> },
    opts: { checkIntegrity?: boolean } = {},
  ): Store {
    const check = opts.checkIntegrity === true ? checkAtStart(config.dataDir) : undefined;
    const db = openDb({ dataDir: config.dataDir, synchronous: config.store.synchronous });
    const store = new Store(db);
    store.integrity = check;
    if (check?.recovery && check.asideFile) {
      Object.assign(check.recovery, salvage(db, check.asideFile));
      store.streamRebase.markPending();
      store.meta.set('store-recovered', JSON.stringify(check.recovery));
      store.audit.record({
        actor: 'system',
        action: 'store.corrupt-recovered',
        target: check.recovery.movedTo,
        result: 'error',
        detail: { ...check.recovery },
      });
    }
    // Readings acknowledged before a crash may be in the journal only: whoever opens the store first
    // puts them in (once: the applied position moves in the same transaction). After a damaged database
    // was moved aside, this is what brings the journal's readings into the fresh one.
    const records = readJournal(join(config.dataDir, 'journal'));
    if (records.length > 0) store.readings.applyJournal(records);
    return store;
  }

  /**
   * Run `fn` in one IMMEDIATE transaction (the write lock taken at the start, so a concurrent
   * writer waits instead of failing half-way): every repository call inside commits together or
   * not at all. `fn` must be synchronous; a repository's own transaction inside it becomes a savepoint.
   */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** The migration the database is at (`PRAGMA user_version`). */
  schemaVersion(): number {
    return schemaVersion(this.#db);
  }

  /** SQLite's `quick_check`: 'ok', or what is damaged. */
  quickCheck(): string {
    return this.#db.pragma('quick_check', { simple: true }) as string;
  }

  /** Throws when the database does not answer (the watchdog's probe). */
  ping(): void {
    this.#db.prepare('SELECT 1').get();
  }

  /** A consistent copy of the database in `file` (SQLite's online backup; writers carry on meanwhile). */
  async backupTo(file: string): Promise<void> {
    await this.#db.backup(file);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}
