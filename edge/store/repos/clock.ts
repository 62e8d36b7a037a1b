import type { Db } from '../db.js';

/** A moment on both clocks: the wall clock (ms since epoch) and the monotonic one of a boot. */
export interface ClockReading {
  wall: number;
  mono: number;
  boot: string;
}

/** Why the wall clock is not trusted, since when (wall time of the check that found it). */
export interface ClockSuspicion {
  since: number;
  reason: string;
  /** How far the wall clock moved against the monotonic clock, when that is known (ms, + = ahead). */
  driftMs: number | undefined;
}

export interface ClockState {
  /** The last moment the wall clock was trusted. */
  trusted: ClockReading;
  suspect: ClockSuspicion | undefined;
}

interface Row {
  wall: number;
  mono: number;
  boot: string;
  suspect_since: number | null;
  suspect_reason: string | null;
  suspect_drift: number | null;
}

/** What the retention job knows of the wall clock (docs/security.md "Clock safety"). */
export class ClockRepo {
  readonly #db: Db;
  constructor(db: Db) {
    this.#db = db;
  }

  get(): ClockState | undefined {
    const r = this.#db
      .prepare<[], Row>(
        'SELECT wall, mono, boot, suspect_since, suspect_reason, suspect_drift FROM clock_state WHERE id = 1',
      )
      .get();
    if (!r) return undefined;
    return {
      trusted: { wall: r.wall, mono: r.mono, boot: r.boot },
      suspect:
        r.suspect_since === null
          ? undefined
          : { since: r.suspect_since, reason: r.suspect_reason ?? '', driftMs: r.suspect_drift ?? undefined },
    };
  }

  /** The wall clock is trusted at this moment: the next checks measure from it; any suspicion ends. */
  trust(at: ClockReading): void {
    this.#db
      .prepare(
        `INSERT INTO clock_state (id, wall, mono, boot) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET wall = excluded.wall, mono = excluded.mono, boot = excluded.boot,
           suspect_since = NULL, suspect_reason = NULL, suspect_drift = NULL`,
      )
      .run(at.wall, at.mono, at.boot);
  }

  /**
   * The wall clock moved implausibly: keep the last trusted moment (or `orTrusted` when there is
   * none yet), record why.
   */
  suspect(s: ClockSuspicion, orTrusted: ClockReading): void {
    this.#db
      .prepare(
        `INSERT INTO clock_state (id, wall, mono, boot, suspect_since, suspect_reason, suspect_drift) VALUES (1, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET suspect_since = excluded.suspect_since, suspect_reason = excluded.suspect_reason,
           suspect_drift = excluded.suspect_drift`,
      )
      .run(
        orTrusted.wall,
        orTrusted.mono,
        orTrusted.boot,
        s.since,
        s.reason,
        s.driftMs === undefined ? null : Math.round(s.driftMs),
      );
  }
}
