import type pg from 'pg';
import type { HeartbeatStatus } from '../protocol.js';
import { inTx } from './store.js';

/** A heartbeat is kept in the history at most this often, unless the version or a component's state changed. */
const HISTORY_EVERY_MS = 3_600_000;

/**
 * What the history keeps of a heartbeat: the appliance page's history columns, about 200 bytes
 * instead of the status's 2 kB. A term of hourly history of 5 000 classrooms is 12 million rows:
 * about 3 GB this way, 25 GB whole.
 */
export interface HistoryEntry {
  version: string;
  /** Components neither running nor stopped: `name: state (detail)`. */
  notRunning: string[];
  diskFreeBytes: number;
  lagS: number;
}

export function historyEntry(s: HeartbeatStatus): HistoryEntry {
  return {
    version: s.version,
    notRunning: s.components
      .filter((c) => c.state !== 'running' && c.state !== 'stopped')
      .map((c) => `${c.name}: ${c.state}${c.detail ? ` (${c.detail})` : ''}`.slice(0, 300)),
    diskFreeBytes: s.disk.freeBytes,
    lagS: Math.max(0, ...Object.values(s.streams).map((x) => x.lagS)),
  };
}

/** One appliance as the fleet view shows it: enrolment, its last heartbeat and its streams. */
export interface FleetRow {
  id: string;
  school: string;
  enrolledAt: Date;
  /** When a batch or a signed request last came from it. */
  lastSeen: Date | null;
  /** When its last heartbeat arrived (null: none yet). */
  lastHeartbeat: Date | null;
  online: boolean;
  /** Its clock minus the district's when the heartbeat arrived (ms; transit time included). */
  clockSkewMs: number | null;
  status: HeartbeatStatus | null;
  /** Each stream's committed position at the district. */
  streams: Record<string, number>;
}

/** Component states that leave a component working (the rest are worth a look). */
const WORKING = new Set(['running', 'stopped', 'starting']);

/** A status's shape for the history: what changed, compared without the figures that always move. */
function signature(s: HeartbeatStatus): string {
  return JSON.stringify([s.version, s.components.map((c) => `${c.name}:${WORKING.has(c.state) ? 'ok' : c.state}`)]);
}

/**
 * The district's view of its fleet: heartbeats in, and the fleet read back. Every statement here
 * takes the appliance id first, as every key of these tables does (docs/district-console.md,
 * "Scale").
 */
/** An appliance and its last heartbeat as the fleet reads select them. */
interface FleetSqlRow {
  id: string;
  school: string;
  enrolled_at: Date;
  last_seen: Date | null;
  received_at: Date | null;
  sent_at: Date | null;
  status: HeartbeatStatus | null;
  streams: Record<string, string | number>;
}

function fleetRow(x: FleetSqlRow, online: boolean): FleetRow {
  return {
    id: x.id,
    school: x.school,
    enrolledAt: x.enrolled_at,
    lastSeen: x.last_seen,
    lastHeartbeat: x.received_at,
    online,
    clockSkewMs: x.sent_at && x.received_at ? x.sent_at.getTime() - x.received_at.getTime() : null,
    status: x.status,
    streams: Object.fromEntries(Object.entries(x.streams).map(([k, v]) => [k, Number(v)])),
  };
}

export class FleetStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * Note a heartbeat: the status replaces the last one; the history gets it when the last kept one
   * is an hour old or says otherwise about the version or a component; history older than
   * `keepDays` of this appliance goes.
   */
  async putHeartbeat(applianceId: string, status: HeartbeatStatus, receivedAt: Date, keepDays: number): Promise<void> {
    const c = await this.#pool.connect();
    try {
      await inTx(c, async () => {
        const before = (
          await c.query<{ status: HeartbeatStatus }>(
            'SELECT status FROM appliance_status WHERE appliance_id = $1 FOR UPDATE',
            [applianceId],
          )
        ).rows[0]?.status;
        await c.query(
          `INSERT INTO appliance_status (appliance_id, received_at, sent_at, version, status) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (appliance_id) DO UPDATE SET received_at = excluded.received_at, sent_at = excluded.sent_at,
           version = excluded.version, status = excluded.status`,
          [applianceId, receivedAt, new Date(status.sentAt), status.version, status],
        );
        await c.query('UPDATE appliances SET last_seen = $2 WHERE id = $1', [applianceId, receivedAt]);
        const kept = (
          await c.query<{ received_at: Date }>(
            'SELECT received_at FROM appliance_status_history WHERE appliance_id = $1 ORDER BY received_at DESC LIMIT 1',
            [applianceId],
          )
        ).rows[0]?.received_at;
        const changed = before === undefined || signature(before) !== signature(status);
        if (changed || kept === undefined || receivedAt.getTime() - kept.getTime() >= HISTORY_EVERY_MS) {
          await c.query(
            'INSERT INTO appliance_status_history (appliance_id, received_at, status) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
            [applianceId, receivedAt, historyEntry(status)],
          );
          await c.query('DELETE FROM appliance_status_history WHERE appliance_id = $1 AND received_at < $2', [
            applianceId,
            new Date(receivedAt.getTime() - keepDays * 86_400_000),
          ]);
        }
      });
    } finally {
      c.release();
    }
  }

  /**
   * Every enrolled appliance with its last heartbeat; online when that heartbeat is younger than
   * `offlineAfterMs` at `now`; only `scope.school`'s (the school it was enrolled for) or only
   * `scope.id` when given.
   */
  async fleet(now: Date, offlineAfterMs: number, scope: { school?: string; id?: string } = {}): Promise<FleetRow[]> {
    const r = await this.#pool.query<FleetSqlRow>(
      `SELECT a.id, a.school, a.enrolled_at, a.last_seen, h.received_at, h.sent_at, h.status,
         coalesce((SELECT json_object_agg(s.stream, s.committed_seq) FROM stream_state s WHERE s.appliance_id = a.id), '{}') AS streams
       FROM appliances a LEFT JOIN appliance_status h ON h.appliance_id = a.id
       WHERE ($1::text IS NULL OR a.school = $1) AND ($2::text IS NULL OR a.id = $2)
       ORDER BY a.school, a.id`,
      [scope.school ?? null, scope.id ?? null],
    );
    return r.rows.map((x) =>
      fleetRow(x, x.received_at !== null && now.getTime() - x.received_at.getTime() < offlineAfterMs),
    );
  }

  /**
   * One page of the fleet as the console asks for it, filtered, counted and paged in SQL: at 50 000
   * appliances the console must not read them all to show 200 (docs/district.md, "Sizing"). The
   * counts are over the account's scope; `matching` over the filters too. The search matches the
   * id, school, the place the box gives (name, grade and class, room) and the version, as the
   * console's classroom text shows them.
   */
  async fleetPage(
    now: Date,
    offlineAfterMs: number,
    scope: { school?: string },
    q: { school?: string; status?: 'online' | 'offline' | 'problem'; search?: string; offset: number; limit: number },
  ): Promise<{
    schools: string[];
    counts: { total: number; online: number; offline: number; problem: number };
    matching: number;
    rows: FleetRow[];
  }> {
    const params = [
      scope.school ?? null,
      now,
      offlineAfterMs / 1000,
      q.school ?? null,
      q.status ?? null,
      q.search ? q.search.toLowerCase() : null,
    ];
    // Each appliance in scope with what the filters and counts need: narrow columns (migration 12),
    // not the status's JSON, which only the page's own rows read.
    const inScope = `WITH f AS (
      SELECT a.id, a.school, coalesce(h.received_at > $2::timestamptz - make_interval(secs => $3), false) AS online,
        coalesce(h.problems, 0) AS problems, coalesce(h.quarantined, 0) AS quarantined,
        lower(a.id || ' ' || a.school) || ' ' || coalesce(h.words, '') AS words
      FROM appliances a LEFT JOIN appliance_status h ON h.appliance_id = a.id
      WHERE ($1::text IS NULL OR a.school = $1)),
    m AS (
      SELECT * FROM f
      WHERE ($4::text IS NULL OR f.school = $4)
        AND ($5::text IS NULL
          OR ($5 = 'online' AND f.online) OR ($5 = 'offline' AND NOT f.online)
          OR ($5 = 'problem' AND (f.problems > 0 OR f.quarantined > 0 OR NOT f.online)))
        AND ($6::text IS NULL OR strpos(f.words, $6) > 0))`;
    const c = await this.#pool.query<{
      schools: string[] | null;
      total: string;
      online: string;
      problem: string;
      matching: string;
    }>(
      `${inScope}
       SELECT (SELECT array_agg(DISTINCT school ORDER BY school) FROM f) AS schools,
         (SELECT count(*) FROM f) AS total,
         (SELECT count(*) FROM f WHERE online) AS online,
         (SELECT count(*) FROM f WHERE problems > 0 OR quarantined > 0) AS problem,
         (SELECT count(*) FROM m) AS matching`,
      params,
    );
    const page = await this.#pool.query<FleetSqlRow & { online: boolean }>(
      `${inScope},
    p AS (SELECT m.id, m.school, m.online FROM m ORDER BY m.school, m.id OFFSET $7 LIMIT $8)
       SELECT p.id, p.school, a.enrolled_at, a.last_seen, h.received_at, h.sent_at, h.status, p.online,
         coalesce((SELECT json_object_agg(s.stream, s.committed_seq) FROM stream_state s WHERE s.appliance_id = p.id), '{}') AS streams
       FROM p JOIN appliances a ON a.id = p.id LEFT JOIN appliance_status h ON h.appliance_id = p.id
       ORDER BY p.school, p.id`,
      [...params, q.offset, q.limit],
    );
    const x = c.rows[0];
    const total = Number(x?.total ?? 0);
    const online = Number(x?.online ?? 0);
    return {
      schools: x?.schools ?? [],
      counts: { total, online, offline: total - online, problem: Number(x?.problem ?? 0) },
      matching: Number(x?.matching ?? 0),
      rows: page.rows.map((r) => fleetRow(r, r.online)),
    };
  }

  /** One appliance's kept heartbeats, newest first. */
  async history(applianceId: string, limit = 500): Promise<{ receivedAt: Date; entry: HistoryEntry }[]> {
    const r = await this.#pool.query<{ received_at: Date; status: HistoryEntry }>(
      'SELECT received_at, status FROM appliance_status_history WHERE appliance_id = $1 ORDER BY received_at DESC LIMIT $2',
      [applianceId, limit],
    );
    return r.rows.map((x) => ({ receivedAt: x.received_at, entry: x.status }));
  }
}
