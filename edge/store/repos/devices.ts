import type { Db } from '../db.js';
import { ConflictError, NotFoundError } from '../../errors.js';

import type { DeviceKind } from '../../device-kinds.js';
export { DEVICE_KINDS, type DeviceKind } from '../../device-kinds.js';
export { DEVICE_ID_PATTERN } from '../../config/device-id.js';

export interface Device {
  id: string;
  kind: DeviceKind;
  description: string;
  createdAt: number;
  createdBy: string;
  disabled: boolean;
  lastSeenAt: number | null;
}

interface Row {
  id: string;
  kind: DeviceKind;
  description: string;
  secret_hash: string;
  created_at: number;
  created_by: string;
  disabled: number;
  last_seen_at: number | null;
}

const toDevice = (r: Row): Device => ({
  id: r.id,
  kind: r.kind,
  description: r.description,
  createdAt: r.created_at,
  createdBy: r.created_by,
  disabled: r.disabled === 1,
  lastSeenAt: r.last_seen_at,
});

export class DevicesRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  add(
    d: { id: string; kind: DeviceKind; description: string; secretHash: string; createdBy: string },
    now = Date.now(),
  ): Device {
    try {
      this.#db
        .prepare(
          'INSERT INTO devices (id, kind, description, secret_hash, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(d.id, d.kind, d.description, d.secretHash, now, d.createdBy);
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
        throw new ConflictError(`device '${d.id}' already exists`);
      throw err;
    }
    return this.get(d.id);
  }

  setSecret(id: string, secretHash: string): void {
    const r = this.#db.prepare('UPDATE devices SET secret_hash = ? WHERE id = ?').run(secretHash, id);
    if (r.changes === 0) throw new NotFoundError(`no device '${id}'`);
  }

  get(id: string): Device {
    const d = this.find(id);
    if (!d) throw new NotFoundError(`no device '${id}'`);
    return d;
  }

  find(id: string): Device | undefined {
    const r = this.#db.prepare<[string], Row>('SELECT * FROM devices WHERE id = ?').get(id);
    return r ? toDevice(r) : undefined;
  }

  /**
   * What a login needs, in one read: the secret's hash (never returned through the API), whether it may connect, its
   * kind.
   */
  loginFacts(id: string): { secretHash: string; enabled: boolean; kind: DeviceKind } | undefined {
    const r = this.#db
      .prepare<[string], { secret_hash: string; disabled: number; kind: DeviceKind }>(
        'SELECT secret_hash, disabled, kind FROM devices WHERE id = ?',
      )
      .get(id);
    return r ? { secretHash: r.secret_hash, enabled: r.disabled === 0, kind: r.kind } : undefined;
  }

  list(): Device[] {
    return this.#db.prepare<[], Row>('SELECT * FROM devices ORDER BY id').all().map(toDevice);
  }

  remove(id: string): void {
    const r = this.#db.prepare('DELETE FROM devices WHERE id = ?').run(id);
    if (r.changes === 0) throw new NotFoundError(`no device '${id}'`);
  }

  touch(id: string, now = Date.now()): void {
    this.#db.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?').run(now, id);
  }
}
