import type { Config } from '../config/schema.js';
import { openDb, type Db } from './db.js';
import { AuditRepo } from './repos/audit.js';
import { DevicesRepo } from './repos/devices.js';
import { ReadingsRepo } from './repos/readings.js';
import { SessionsRepo } from './repos/sessions.js';
import { UsersRepo } from './repos/users.js';
import { EnvAlertsRepo } from './repos/env-alerts.js';
import { LessonsRepo } from './repos/lessons.js';

/** The appliance database and one repository per data class. Shared by the runtime and the CLI. */
export class Store {
  readonly db: Db;
  readonly audit: AuditRepo;
  readonly devices: DevicesRepo;
  readonly readings: ReadingsRepo;
  readonly sessions: SessionsRepo;
  readonly users: UsersRepo;
  readonly envAlerts: EnvAlertsRepo;
  readonly lessons: LessonsRepo;
  #closed = false;

  constructor(db: Db) {
    this.db = db;
    this.audit = new AuditRepo(db);
    this.devices = new DevicesRepo(db);
    this.readings = new ReadingsRepo(db);
    this.sessions = new SessionsRepo(db);
    this.users = new UsersRepo(db);
    this.envAlerts = new EnvAlertsRepo(db);
    this.lessons = new LessonsRepo(db);
  }

  static open(config: Pick<Config, 'dataDir' | 'store'>): Store {
    return new Store(openDb({ dataDir: config.dataDir, synchronous: config.store.synchronous }));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.db.close();
  }
}
