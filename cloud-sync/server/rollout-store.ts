import type pg from 'pg';
import {
  FINAL_UPDATE_STATES,
  type FleetUpdateReport,
  type FleetUpdateState,
  type UpdateOffer,
  type UpdateWindow,
} from '../protocol.js';
import { inTx } from './store.js';

/** Who a rollout is for: the pilot appliances, one school's, all, or a list of ids. */
export type Ring =
  { kind: 'pilot' } | { kind: 'school'; school: string } | { kind: 'all' } | { kind: 'list'; ids: string[] };

export type RolloutState = 'active' | 'halted' | 'done';
/** What the district knows of one appliance and one rollout: offered, then what the appliance reports. */
export type OutcomeState = 'offered' | FleetUpdateState;

export interface RolloutRow {
  id: number;
  bundle: string;
  version: string;
  size: number;
  ring: Ring;
  window: UpdateWindow | null;
  maxFailureShare: number;
  state: RolloutState;
  reason: string;
  createdAt: Date;
  /** Appliances in the ring now. */
  ringSize: number;
  /** Outcomes by state (offered, downloading, ..., failed). */
  counts: Partial<Record<OutcomeState, number>>;
}

export interface NewRollout {
  bundle: string;
  ring: Ring;
  window: UpdateWindow | null;
  maxFailureShare: number;
}

const FINAL: readonly string[] = FINAL_UPDATE_STATES;
/** The part of a rollout's outcomes that counts as failed: a rollback is a failure too. */
const FAILED: readonly string[] = ['rolled-back', 'failed'];

/**
 * Whether appliance `a` (a row of appliances) is in the ring of rollout `r` (a row of rollouts): the
 * pilot flags and the school are read as they are now, so a flag added later widens a running rollout.
 */
const IN_RING = `(r.ring_kind = 'all'
  OR (r.ring_kind = 'school' AND r.ring_school = a.school)
  OR (r.ring_kind = 'list' AND a.id = ANY(r.ring_ids))
  OR (r.ring_kind = 'pilot' AND EXISTS (SELECT 1 FROM rollout_pilots p WHERE p.appliance_id = a.id)))`;

interface RolloutSqlRow {
  id: number;
  bundle_sha256: string;
  version: string;
  size: string;
  ring_kind: Ring['kind'];
  ring_school: string | null;
  ring_ids: string[] | null;
  window_from: string | null;
  window_to: string | null;
  max_failure_share: number;
  state: RolloutState;
  state_reason: string;
  created_at: Date;
}

function ringOf(x: RolloutSqlRow): Ring {
  if (x.ring_kind === 'school') return { kind: 'school', school: x.ring_school ?? '' };
  if (x.ring_kind === 'list') return { kind: 'list', ids: x.ring_ids ?? [] };
  return { kind: x.ring_kind };
}

/** A ring as the CLI writes it: pilot, school:<name>, all, list:<id,id>. */
export function ringText(r: Ring): string {
  if (r.kind === 'school') return `school:${r.school}`;
  if (r.kind === 'list') return `list:${r.ids.join(',')}`;
  return r.kind;
}

/**
 * The district's rollouts (docs/fleet-updates.md): bundles stored once by their SHA-256, rollouts
 * to rings, and each appliance's outcome. Every per-appliance statement takes the appliance id
 * first, as the key of rollout_outcomes does.
 */
export class RolloutStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** Store a bundle's bytes once; a second store of the same bytes changes nothing. */
  async putBundle(sha256: string, version: string, manifest: unknown, bytes: Buffer): Promise<void> {
    await this.#pool.query(
      `INSERT INTO update_bundles (sha256, version, size, manifest, bytes) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (sha256) DO NOTHING`,
      [sha256, version, bytes.length, manifest, bytes],
    );
  }

  /** A stored bundle's size and version, or undefined. */
  async bundle(sha256: string): Promise<{ size: number; version: string } | undefined> {
    const r = await this.#pool.query<{ size: string; version: string }>(
      'SELECT size, version FROM update_bundles WHERE sha256 = $1',
      [sha256],
    );
    const x = r.rows[0];
    return x ? { size: Number(x.size), version: x.version } : undefined;
  }

  /** `length` bytes of a bundle from `offset` (substring of an uncompressed bytea reads only those chunks). */
  async bundleBytes(sha256: string, offset: number, length: number): Promise<Buffer> {
    const r = await this.#pool.query<{ b: Buffer | null }>(
      'SELECT substring(bytes FROM $2::int FOR $3::int) AS b FROM update_bundles WHERE sha256 = $1',
      [sha256, offset + 1, length],
    );
    return r.rows[0]?.b ?? Buffer.alloc(0);
  }

  /** Flag appliances for the pilot ring; returns the ids that are not enrolled (nothing is flagged then). */
  async addPilots(ids: string[]): Promise<string[]> {
    const c = await this.#pool.connect();
    try {
      return await inTx(c, async () => {
        const known = new Set(
          (await c.query<{ id: string }>('SELECT id FROM appliances WHERE id = ANY($1)', [ids])).rows.map((x) => x.id),
        );
        const unknown = ids.filter((id) => !known.has(id));
        if (unknown.length > 0) return unknown;
        for (const id of ids)
          await c.query('INSERT INTO rollout_pilots (appliance_id) VALUES ($1) ON CONFLICT DO NOTHING', [id]);
        return [];
      });
    } finally {
      c.release();
    }
  }

  async removePilots(ids: string[]): Promise<number> {
    return (await this.#pool.query('DELETE FROM rollout_pilots WHERE appliance_id = ANY($1)', [ids])).rowCount ?? 0;
  }

  async pilots(): Promise<string[]> {
    return (
      await this.#pool.query<{ appliance_id: string }>('SELECT appliance_id FROM rollout_pilots ORDER BY 1')
    ).rows.map((x) => x.appliance_id);
  }

  /** Appliance ids of a list ring that are not enrolled. */
  async unknownAppliances(ids: string[]): Promise<string[]> {
    const r = await this.#pool.query<{ id: string }>('SELECT id FROM appliances WHERE id = ANY($1)', [ids]);
    const known = new Set(r.rows.map((x) => x.id));
    return ids.filter((id) => !known.has(id));
  }

  async createRollout(n: NewRollout): Promise<number> {
    const r = await this.#pool.query<{ id: number }>(
      `INSERT INTO rollouts (bundle_sha256, ring_kind, ring_school, ring_ids, window_from, window_to, max_failure_share)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [
        n.bundle,
        n.ring.kind,
        n.ring.kind === 'school' ? n.ring.school : null,
        n.ring.kind === 'list' ? n.ring.ids : null,
        n.window?.from ?? null,
        n.window?.to ?? null,
        n.maxFailureShare,
      ],
    );
    return (r.rows[0] as { id: number }).id;
  }

  /**
   * Every rollout (newest first, at most `limit`), with its ring's size and its outcomes counted.
   * With `school`, only the rollouts whose ring holds some of that school's appliances, sized and
   * counted over those (what a school's IT sees).
   */
  async rollouts(limit = 100, id?: number, school?: string): Promise<RolloutRow[]> {
    const r = await this.#pool.query<RolloutSqlRow & { ring_size: string; counts: Record<string, string> | null }>(
      `SELECT * FROM (
         SELECT r.*, b.version, b.size,
           (SELECT count(*) FROM appliances a WHERE ${IN_RING} AND ($3::text IS NULL OR a.school = $3)) AS ring_size,
           (SELECT json_object_agg(s.state, s.n) FROM
              (SELECT o.state, count(*) AS n FROM rollout_outcomes o
               WHERE o.rollout_id = r.id
                 AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM appliances a WHERE a.id = o.appliance_id AND a.school = $3))
               GROUP BY o.state) s) AS counts
         FROM rollouts r JOIN update_bundles b ON b.sha256 = r.bundle_sha256
         WHERE ($2::int IS NULL OR r.id = $2)) x
       WHERE $3::text IS NULL OR x.ring_size > 0
       ORDER BY x.id DESC LIMIT $1`,
      [limit, id ?? null, school ?? null],
    );
    return r.rows.map((x) => ({
      id: x.id,
      bundle: x.bundle_sha256,
      version: x.version,
      size: Number(x.size),
      ring: ringOf(x),
      window: x.window_from && x.window_to ? { from: x.window_from, to: x.window_to } : null,
      maxFailureShare: x.max_failure_share,
      state: x.state,
      reason: x.state_reason,
      createdAt: x.created_at,
      ringSize: Number(x.ring_size),
      counts: Object.fromEntries(Object.entries(x.counts ?? {}).map(([k, v]) => [k, Number(v)])),
    }));
  }

  /** Halt an active rollout; false when there is no active rollout of that id. */
  async halt(id: number, reason: string): Promise<boolean> {
    const r = await this.#pool.query(
      "UPDATE rollouts SET state = 'halted', state_reason = $2, changed_at = now() WHERE id = $1 AND state = 'active'",
      [id, reason],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * The offer for one appliance: the newest active rollout whose ring holds it and that has no final
   * outcome from it. The first time, it is noted as offered.
   */
  async offerFor(applianceId: string): Promise<UpdateOffer | undefined> {
    const r = await this.#pool.query<RolloutSqlRow & { outcome: string | null }>(
      `SELECT r.*, b.version, b.size, o.state AS outcome
       FROM appliances a
       JOIN rollouts r ON r.state = 'active' AND ${IN_RING}
       JOIN update_bundles b ON b.sha256 = r.bundle_sha256
       LEFT JOIN rollout_outcomes o ON o.appliance_id = a.id AND o.rollout_id = r.id
       WHERE a.id = $1 AND (o.state IS NULL OR o.state <> ALL($2))
       ORDER BY r.id DESC LIMIT 1`,
      [applianceId, FINAL],
    );
    const x = r.rows[0];
    if (!x) return undefined;
    if (x.outcome === null)
      await this.#pool.query(
        "INSERT INTO rollout_outcomes (appliance_id, rollout_id, state) VALUES ($1, $2, 'offered') ON CONFLICT DO NOTHING",
        [applianceId, x.id],
      );
    return {
      rolloutId: x.id,
      sha256: x.bundle_sha256,
      size: Number(x.size),
      version: x.version,
      path: `/v1/bundles/${x.bundle_sha256}`,
      ...(x.window_from && x.window_to ? { window: { from: x.window_from, to: x.window_to } } : {}),
    };
  }

  /** Whether an active rollout offers this bundle to this appliance (who may download it). */
  async mayDownload(applianceId: string, sha256: string): Promise<boolean> {
    const r = await this.#pool.query(
      `SELECT 1 FROM appliances a JOIN rollouts r ON r.state = 'active' AND ${IN_RING}
       WHERE a.id = $1 AND r.bundle_sha256 = $2 LIMIT 1`,
      [applianceId, sha256],
    );
    return r.rows.length > 0;
  }

  /**
   * Note an appliance's report of a rollout it was offered (a report of anything else is ignored:
   * false). A report that makes the outcome final counts the rollout again, under its row lock:
   * halted when (rolled-back + failed) / reported passes its share, done when its whole ring reported.
   */
  async report(applianceId: string, u: FleetUpdateReport): Promise<{ noted: boolean; rollout?: RolloutState }> {
    const c = await this.#pool.connect();
    try {
      return await inTx(c, async () => {
        const before = (
          await c.query<{ state: string }>(
            'SELECT state FROM rollout_outcomes WHERE appliance_id = $1 AND rollout_id = $2 FOR UPDATE',
            [applianceId, u.rolloutId],
          )
        ).rows[0]?.state;
        if (before === undefined) return { noted: false };
        // A final outcome stays what it was (a heartbeat repeats the last report until a new offer).
        if (FINAL.includes(before)) return { noted: true };
        const bundle = (
          await c.query<{ bundle_sha256: string }>('SELECT bundle_sha256 FROM rollouts WHERE id = $1', [u.rolloutId])
        ).rows[0]?.bundle_sha256;
        if (bundle !== u.sha256) return { noted: false };
        await c.query(
          `UPDATE rollout_outcomes SET state = $3, version = $4, detail = $5, changed_at = now()
           WHERE appliance_id = $1 AND rollout_id = $2`,
          [applianceId, u.rolloutId, u.state, u.version ?? '', u.detail ?? ''],
        );
        if (!FINAL.includes(u.state)) return { noted: true };
        const r = (
          await c.query<{ state: RolloutState; max_failure_share: number }>(
            'SELECT state, max_failure_share FROM rollouts WHERE id = $1 FOR UPDATE',
            [u.rolloutId],
          )
        ).rows[0];
        if (!r || r.state !== 'active') return { noted: true, ...(r ? { rollout: r.state } : {}) };
        const n = (
          await c.query<{ reported: string; failed: string; ring: string }>(
            `SELECT count(*) FILTER (WHERE o.state = ANY($2)) AS reported,
                    count(*) FILTER (WHERE o.state = ANY($3)) AS failed,
                    (SELECT count(*) FROM rollouts r JOIN appliances a ON ${IN_RING} WHERE r.id = $1) AS ring
             FROM rollout_outcomes o WHERE o.rollout_id = $1`,
            [u.rolloutId, FINAL, FAILED],
          )
        ).rows[0] as { reported: string; failed: string; ring: string };
        const [reported, failed, ring] = [Number(n.reported), Number(n.failed), Number(n.ring)];
        let state: RolloutState = 'active';
        let reason = '';
        if (reported > 0 && failed / reported > r.max_failure_share) {
          state = 'halted';
          reason = `${failed} of ${reported} reported failed or rolled back (more than ${r.max_failure_share})`;
        } else if (reported >= ring) {
          state = 'done';
          reason = `all ${ring} of the ring reported`;
        }
        if (state !== 'active')
          await c.query('UPDATE rollouts SET state = $2, state_reason = $3, changed_at = now() WHERE id = $1', [
            u.rolloutId,
            state,
            reason,
          ]);
        return { noted: true, rollout: state };
      });
    } finally {
      c.release();
    }
  }

  /** One appliance's outcomes, newest rollout first. */
  async outcomes(
    applianceId: string,
  ): Promise<{ rolloutId: number; state: OutcomeState; version: string; detail: string; changedAt: Date }[]> {
    const r = await this.#pool.query<{
      rollout_id: number;
      state: OutcomeState;
      version: string;
      detail: string;
      changed_at: Date;
    }>(
      'SELECT rollout_id, state, version, detail, changed_at FROM rollout_outcomes WHERE appliance_id = $1 ORDER BY rollout_id DESC LIMIT 100',
      [applianceId],
    );
    return r.rows.map((x) => ({
      rolloutId: x.rollout_id,
      state: x.state,
      version: x.version,
      detail: x.detail,
      changedAt: x.changed_at,
    }));
  }
}
