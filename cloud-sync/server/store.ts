import pg from 'pg';
import { DISTRICT_MIGRATIONS } from './schema.js';

/** Who a configuration is published to: one appliance, a school, or every appliance. */
export interface PublishTarget {
  appliance?: string;
  school?: string;
  all?: boolean;
}

export interface DesiredConfig {
  version: number;
  /** Written from an object of settings (`putDesiredConfig`); jsonb reads back as one. */
  config: Record<string, unknown>;
  signature: string;
}

/** The receiver's answer key pair and its certificate (signed by the district key). */
export interface AnswerKeyRow {
  privateKeyPem: string;
  publicKeyPem: string;
  certificate: unknown;
}

const putAnswerKey = async (q: pg.Pool | pg.PoolClient, k: AnswerKeyRow): Promise<void> => {
  await q.query(
    `INSERT INTO district_answer_key (id, private_key, public_key, certificate) VALUES (1, $1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET private_key = excluded.private_key, public_key = excluded.public_key, certificate = excluded.certificate`,
    [k.privateKeyPem, k.publicKeyPem, JSON.stringify(k.certificate)],
  );
};

/** The district's PEM key pair: it signs configuration and update bundles. */
export interface KeyPairPem {
  privateKeyPem: string;
  publicKeyPem: string;
}

/**
 * The district database: every SQL statement of the district service lives here. The receiver and
 * the `classedge-district` command decide (refuse, sign, answer); this module only reads and writes.
 * PostgreSQL's own errors pass through unchanged, so the receiver answers them as before.
 */
export class DistrictStore {
  /** Open for tests and tools that read the district's tables themselves; the service goes through the methods. */
  readonly pool: pg.Pool;
  /** Days whose partition is known to exist (made here or found): one check per day per process. */
  readonly #partitions = new Set<string>();

  constructor(o: { databaseUrl: string; poolSize?: number }) {
    this.pool = new pg.Pool({ connectionString: o.databaseUrl, max: o.poolSize ?? 10 });
    this.pool.on('error', () => undefined);
  }

  /**
   * Run `fn` in one transaction on one pooled connection: committed when it resolves, rolled back
   * when it throws (its error is rethrown as it was), the connection released either way.
   */
  async withTx<T>(fn: (tx: DistrictTx) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      return await inTx(c, () => fn(new DistrictTx(c)));
    } finally {
      c.release();
    }
  }

  /**
   * Apply the numbered migrations not applied yet (under a session advisory lock, so receivers
   * starting together do not race), then make the district's key pair if there is none.
   */
  async migrate(newKeyPair: () => KeyPairPem): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock(7351)');
      const exists = await c.query<{ t: string | null }>("SELECT to_regclass('schema_version') AS t");
      const current = exists.rows[0]?.t
        ? Number((await c.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')).rows[0]?.v)
        : 0;
      for (const m of DISTRICT_MIGRATIONS) {
        if (m.version <= current) continue;
        await inTx(c, async () => {
          await c.query(m.sql);
          if (m.version > 1) await c.query('INSERT INTO schema_version VALUES ($1)', [m.version]);
        });
      }
      const k = newKeyPair();
      await inTx(c, async () => {
        const made = await c.query('INSERT INTO district_keys (id, public_key) VALUES (1, $1) ON CONFLICT DO NOTHING', [
          k.publicKeyPem,
        ]);
        if (made.rowCount)
          await c.query('INSERT INTO district_signing_key (id, private_key) VALUES (1, $1)', [k.privateKeyPem]);
      });
    } finally {
      await c.query('SELECT pg_advisory_unlock(7351)').catch(() => undefined);
      c.release();
    }
  }

  /** Throws when the database does not answer. */
  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async addToken(tokenHash: string, applianceId: string, school: string, hours: number): Promise<void> {
    await this.pool.query(
      'INSERT INTO enrol_tokens (token_hash, appliance_id, school, expires_at) VALUES ($1, $2, $3, now() + make_interval(hours => $4))',
      [tokenHash, applianceId, school, hours],
    );
  }

  /** The district's public key (PEM), which the receiver answers at enrolment. */
  async districtPublicKey(): Promise<string> {
    const row = (await this.pool.query<{ public_key: string }>('SELECT public_key FROM district_keys WHERE id = 1'))
      .rows[0];
    if (!row) throw new Error('the district has no key pair: run classedge-district migrate first');
    return row.public_key;
  }

  /**
   * The district's key pair, private key included: for the engineer's commands (publish, bundles),
   * run with the database owner's login. The receiver's role is refused here by PostgreSQL.
   */
  async districtKey(): Promise<KeyPairPem> {
    const r = await this.pool.query<{ private_key: string; public_key: string }>(
      'SELECT s.private_key, k.public_key FROM district_signing_key s JOIN district_keys k ON k.id = s.id WHERE s.id = 1',
    );
    const row = r.rows[0];
    if (!row) throw new Error('the district has no key pair: run classedge-district migrate first');
    return { privateKeyPem: row.private_key, publicKeyPem: row.public_key };
  }

  /** The newest migration applied (0 for an empty database). */
  async schemaVersion(): Promise<number> {
    const exists = await this.pool.query<{ t: string | null }>("SELECT to_regclass('schema_version') AS t");
    if (!exists.rows[0]?.t) return 0;
    return Number(
      (await this.pool.query<{ v: number | null }>('SELECT max(version) AS v FROM schema_version')).rows[0]?.v,
    );
  }

  /**
   * Erase students of one appliance, in one transaction: each pseudonym's records in `own` streams
   * are deleted and it is taken out of the `listing` streams' `pseudonyms` lists. Returns, per
   * pseudonym, how many records were deleted or changed. Idempotent.
   */
  async eraseSubjects(
    applianceId: string,
    pseudonyms: readonly string[],
    own: readonly string[],
    listing: readonly string[],
  ): Promise<number[]> {
    const c = await this.pool.connect();
    try {
      return await inTx(c, async () => {
        const changed: number[] = [];
        for (const p of pseudonyms) {
          const deleted = await c.query(
            "DELETE FROM records WHERE appliance_id = $1 AND stream = ANY($2::text[]) AND payload->>'pseudonym' = $3",
            [applianceId, own, p],
          );
          const unlisted = await c.query(
            `UPDATE records SET payload = jsonb_set(payload, '{pseudonyms}',
               (SELECT coalesce(jsonb_agg(x), '[]'::jsonb) FROM jsonb_array_elements(payload->'pseudonyms') AS x WHERE x <> to_jsonb($3::text)))
             WHERE appliance_id = $1 AND stream = ANY($2::text[]) AND payload->'pseudonyms' ? $3`,
            [applianceId, listing, p],
          );
          changed.push((deleted.rowCount ?? 0) + (unlisted.rowCount ?? 0));
        }
        return changed;
      });
    } finally {
      c.release();
    }
  }

  /** The `subject` digests of the erasure records an appliance sent on `stream`. */
  async erasedSubjects(applianceId: string, stream: string): Promise<string[]> {
    const r = await this.pool.query<{ subject: string }>(
      "SELECT payload->>'subject' AS subject FROM records WHERE appliance_id = $1 AND stream = $2",
      [applianceId, stream],
    );
    return r.rows.map((x) => x.subject);
  }

  /** The messages, each signed by the key before it, that lead from the district's first key to its current one. */
  async keyRotations(): Promise<unknown[]> {
    const r = await this.pool.query<{ message: unknown }>('SELECT message FROM district_key_rotations ORDER BY id');
    return r.rows.map((x) => x.message);
  }

  /**
   * Replace the district's key pair with `next`, keep the rotation message and put in the answer key certified by
   * the new key, in one transaction; false (nothing changed) when the current key is no longer
   * `previousPublicKeyPem` (another rotation came first).
   */
  async rotateDistrictKey(
    previousPublicKeyPem: string,
    next: KeyPairPem,
    message: unknown,
    answerKey: AnswerKeyRow,
  ): Promise<boolean> {
    const c = await this.pool.connect();
    try {
      return await inTx(c, async () => {
        const r = await c.query('UPDATE district_keys SET public_key = $1 WHERE id = 1 AND public_key = $2', [
          next.publicKeyPem,
          previousPublicKeyPem,
        ]);
        if (r.rowCount !== 1) return false;
        await c.query('UPDATE district_signing_key SET private_key = $1 WHERE id = 1', [next.privateKeyPem]);
        await c.query('INSERT INTO district_key_rotations (message) VALUES ($1)', [JSON.stringify(message)]);
        await putAnswerKey(c, answerKey);
        return true;
      });
    } finally {
      c.release();
    }
  }

  /** The receiver's answer key and its certificate; undefined before the first `ensureAnswerKey`. */
  async answerKey(): Promise<AnswerKeyRow | undefined> {
    const r = await this.pool.query<{ private_key: string; public_key: string; certificate: unknown }>(
      'SELECT private_key, public_key, certificate FROM district_answer_key WHERE id = 1',
    );
    const row = r.rows[0];
    return row && { privateKeyPem: row.private_key, publicKeyPem: row.public_key, certificate: row.certificate };
  }

  /** Put in the answer key (made and certified by whoever holds the district key). */
  async putAnswerKey(k: AnswerKeyRow): Promise<void> {
    await putAnswerKey(this.pool, k);
  }

  /** Appliance ids a publication reaches, including ids that so far only hold a live enrolment token. */
  async configTargets(target: PublishTarget): Promise<string[]> {
    const r = await this.pool.query<{ id: string }>(
      // Appliances not enrolled yet but holding a token are included, so a box's first configuration waits for it.
      `SELECT id FROM appliances WHERE ($1::text IS NOT NULL AND id = $1) OR ($2::text IS NOT NULL AND school = $2) OR $3
       UNION SELECT appliance_id FROM enrol_tokens WHERE used_at IS NULL AND expires_at > now() AND (($1::text IS NOT NULL AND appliance_id = $1) OR ($2::text IS NOT NULL AND school = $2) OR $3)`,
      [target.appliance ?? null, target.school ?? null, target.all === true],
    );
    return r.rows.map((row) => row.id);
  }

  async desiredVersion(applianceId: string): Promise<number | undefined> {
    return (
      await this.pool.query<{ version: number }>('SELECT version FROM desired_config WHERE appliance_id = $1', [
        applianceId,
      ])
    ).rows[0]?.version;
  }

  async putDesiredConfig(
    applianceId: string,
    version: number,
    config: Record<string, unknown>,
    signature: string,
  ): Promise<void> {
    await this.pool.query(
      `INSERT INTO desired_config (appliance_id, version, config, signature) VALUES ($1, $2, $3, $4)
       ON CONFLICT (appliance_id) DO UPDATE SET version = excluded.version, config = excluded.config, signature = excluded.signature, published_at = now()`,
      [applianceId, version, JSON.stringify(config), signature],
    );
  }

  async desiredConfig(applianceId: string): Promise<DesiredConfig | undefined> {
    return (
      await this.pool.query<DesiredConfig>(
        'SELECT version, config, signature FROM desired_config WHERE appliance_id = $1',
        [applianceId],
      )
    ).rows[0];
  }

  async putAppliedConfig(applianceId: string, version: number, result: string): Promise<void> {
    await this.pool.query(
      'INSERT INTO applied_config (appliance_id, version, result) VALUES ($1, $2, $3) ON CONFLICT (appliance_id) DO UPDATE SET version = excluded.version, result = excluded.result, reported_at = now()',
      [applianceId, version, result],
    );
  }

  async markRestored(applianceId: string, backupCreatedAt: string): Promise<void> {
    await this.pool.query('UPDATE appliances SET restored_at = now(), restored_from = $2 WHERE id = $1', [
      applianceId,
      backupCreatedAt,
    ]);
  }

  /** Each stream's committed position for one appliance. */
  async streamPositions(applianceId: string): Promise<Record<string, number>> {
    const r = await this.pool.query<{ stream: string; committed_seq: string }>(
      'SELECT stream, committed_seq FROM stream_state WHERE appliance_id = $1',
      [applianceId],
    );
    return Object.fromEntries(r.rows.map((x) => [x.stream, Number(x.committed_seq)]));
  }

  /** The enrolled appliance's public key (PEM), or undefined when it is not enrolled. */
  async publicKey(applianceId: string): Promise<string | undefined> {
    return (
      await this.pool.query<{ public_key: string }>('SELECT public_key FROM appliances WHERE id = $1', [applianceId])
    ).rows[0]?.public_key;
  }

  /**
   * One partition per day, made before the day's first rows arrive, by the `records_partition`
   * function (its owner's rights: the receiver's role creates no table itself; an advisory lock per
   * day keeps concurrent receivers from racing). `day` must have passed the receiver's window.
   */
  async ensurePartitions(days: string[]): Promise<void> {
    for (const day of days) {
      if (this.#partitions.has(day)) continue;
      await this.withTx((tx) => tx.makePartition(day));
      this.#partitions.add(day);
    }
  }

  async end(): Promise<void> {
    await this.pool.end();
  }
}

/** BEGIN, `fn`, COMMIT; ROLLBACK (whose own failure is ignored) and rethrow when `fn` or COMMIT throws. */
export async function inTx<T>(c: pg.PoolClient, fn: () => Promise<T>): Promise<T> {
  await c.query('BEGIN');
  try {
    const out = await fn();
    await c.query('COMMIT');
    return out;
  } catch (err) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** The statements that run inside one of `withTx`'s transactions. */
export class DistrictTx {
  readonly #c: pg.PoolClient;

  constructor(c: pg.PoolClient) {
    this.#c = c;
  }

  /** The day's partition, unless it exists or the day already has rows in the default partition. */
  async makePartition(day: string): Promise<void> {
    await this.#c.query('SELECT records_partition($1::date)', [day]);
  }

  /** The unused, unexpired token's appliance and school, locked until the transaction ends. */
  async takeToken(tokenHash: string): Promise<{ appliance_id: string; school: string } | undefined> {
    return (
      await this.#c.query<{ appliance_id: string; school: string }>(
        'SELECT appliance_id, school FROM enrol_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() FOR UPDATE',
        [tokenHash],
      )
    ).rows[0];
  }

  async useToken(tokenHash: string): Promise<void> {
    await this.#c.query('UPDATE enrol_tokens SET used_at = now() WHERE token_hash = $1', [tokenHash]);
  }

  /** Re-enrolment (a replaced box) takes the new key; its stream positions stay. */
  async enrolAppliance(applianceId: string, publicKey: string, school: string): Promise<void> {
    await this.#c.query(
      'INSERT INTO appliances (id, public_key, school) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET public_key = excluded.public_key, enrolled_at = now()',
      [applianceId, publicKey, school],
    );
  }

  /** The stream's committed position, its row made if new and locked until the transaction ends. */
  async lockStream(applianceId: string, stream: string): Promise<number> {
    await this.#c.query('INSERT INTO stream_state (appliance_id, stream) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
      applianceId,
      stream,
    ]);
    const st = await this.#c.query<{ committed_seq: string }>(
      'SELECT committed_seq FROM stream_state WHERE appliance_id = $1 AND stream = $2 FOR UPDATE',
      [applianceId, stream],
    );
    return Number(st.rows[0]?.committed_seq);
  }

  async batchSeen(applianceId: string, batchId: string): Promise<boolean> {
    return Boolean(
      (await this.#c.query('SELECT 1 FROM batches WHERE appliance_id = $1 AND batch_id = $2', [applianceId, batchId]))
        .rowCount,
    );
  }

  /**
   * Multi-row insert: one statement per batch, whatever its size. The lines travel as one JSON
   * document (not three arrays): pg escapes every element of a text array in JavaScript, which cost
   * more than PostgreSQL's own work on a 20 000-line batch.
   */
  async insertRecords(
    applianceId: string,
    stream: string,
    lines: readonly { seq: number; day: string; payload: unknown }[],
  ): Promise<void> {
    await this.#c.query(
      `INSERT INTO records (appliance_id, stream, seq, day, payload)
       SELECT $1, $2, t.seq, t.day, t.payload FROM jsonb_to_recordset($3::jsonb) AS t(seq bigint, day date, payload jsonb)
       ON CONFLICT DO NOTHING`,
      [applianceId, stream, JSON.stringify(lines.map((l) => ({ seq: l.seq, day: l.day, payload: l.payload })))],
    );
  }

  /** The new position, the batch id (so a replay is known) and when the appliance was last seen. */
  async commitBatch(
    b: { appliance: string; batch: string; stream: string; first: number; last: number },
    committedSeq: number,
  ): Promise<void> {
    await this.#c.query(
      'UPDATE stream_state SET committed_seq = $3, updated_at = now() WHERE appliance_id = $1 AND stream = $2',
      [b.appliance, b.stream, committedSeq],
    );
    await this.#c.query(
      'INSERT INTO batches (appliance_id, batch_id, stream, first_seq, last_seq) VALUES ($1, $2, $3, $4, $5)',
      [b.appliance, b.batch, b.stream, b.first, b.last],
    );
    await this.#c.query('UPDATE appliances SET last_seen = now() WHERE id = $1', [b.appliance]);
  }
}
