import { rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { BaseComponent } from './component.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { purgeCaptures } from '../analysis/capture-files.js';
import { corruptAsideFiles, type Recovery } from '../store/integrity.js';
import { errorMessage } from '../errors.js';

export type DiskLevel = 'ok' | 'low' | 'critical';

const MB = 1024 * 1024;

/** What the kiosk, the API and doctor show about the data directory's disk. */
export interface DiskState {
  level: DiskLevel;
  /** Free space the database can use: free blocks of the file system plus free pages inside the database. */
  freeMb: number;
  totalMb: number;
  /** Readings the district has not confirmed: never deleted for space. */
  unsyncedReadings: number;
  /** What the guard deleted since the start, per class (rows or files). */
  shed: Record<string, number>;
  /** Set when this start found the database damaged and started on a fresh one. */
  recovered?: Recovery;
}

/** The level of `free` bytes out of `total` under the configured thresholds (MB and percent, whichever is stricter). */
export function diskLevel(free: number, total: number, d: Config['disk']): DiskLevel {
  const pct = total > 0 ? (free / total) * 100 : 100;
  if (free < d.criticalFreeMb * MB || pct < d.criticalFreePercent) return 'critical';
  if (free < d.lowFreeMb * MB || pct < d.lowFreePercent) return 'low';
  return 'ok';
}

/** Free blocks (for an unprivileged process) and the size of the data directory's file system. */
export function fsSpace(dir: string): { free: number; total: number } {
  const s = statfsSync(dir);
  return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
}

export interface DiskMeasure {
  /** What `level` was judged on (bytes). */
  free: number;
  total: number;
  level: DiskLevel;
  /** The level of the room for data alone: free blocks plus free pages inside the database. */
  dataLevel: DiskLevel;
}

/**
 * Two measures: room for data (free blocks plus free pages inside the database, which new rows
 * reuse; deleting rows frees pages but never shrinks the file) and room on the file system alone,
 * which the write-ahead log needs to grow: with less than the critical amount there, a commit can
 * fail whatever the free pages, so that alone is critical.
 */
export function measureDisk(config: Pick<Config, 'dataDir' | 'disk'>, insideBytes: number): DiskMeasure {
  const d = config.disk;
  const fs = fsSpace(config.dataDir);
  const free = fs.free + insideBytes;
  const dataLevel = diskLevel(free, fs.total, d);
  if (fs.free < d.criticalFreeMb * MB) return { free: fs.free, total: fs.total, level: 'critical', dataLevel };
  return { free, total: fs.total, level: dataLevel, dataLevel };
}

/**
 * Watches the data directory's disk and, when it runs low, deletes the least important data first,
 * re-measuring after each batch and stopping as soon as the level is back to ok:
 * 1. diagnostic captures that have ended (a running one is kept);
 * 2. copies of damaged databases moved aside at a start, all but the newest (critical: all);
 * 3. minute rollups older than `disk.shedRollupsOlderThanDays`;
 * 4. raw readings older than `disk.shedReadingsOlderThanHours` that their rollups include and that
 *    the district confirmed.
 * Health checks, absences, lessons, the audit log, accounts and devices are never deleted for space,
 * and neither are readings the district has not confirmed (docs/disk-full-and-corruption.md says why).
 * Every deletion is audited (`disk.shed`, with the class and how many). While low or critical the
 * component is degraded, with the reason, which `/api/v1/health`, doctor and the kiosk show.
 */
export class DiskGuard extends BaseComponent {
  readonly name = 'disk';
  readonly kind = 'disk-guard';
  readonly #o: { store: Store; config: Config; log: Logger; recovered?: Recovery | undefined };
  #timer: NodeJS.Timeout | undefined;
  #state: DiskState;
  #checks = 0;
  #failures = 0;

  constructor(o: { store: Store; config: Config; log: Logger; recovered?: Recovery | undefined }) {
    super();
    this.#o = o;
    this.#state = {
      level: 'ok',
      freeMb: 0,
      totalMb: 0,
      unsyncedReadings: 0,
      shed: {},
      ...(o.recovered ? { recovered: o.recovered } : {}),
    };
  }

  protected override counters(): Record<string, number> {
    const shed = Object.values(this.#state.shed).reduce((a, b) => a + b, 0);
    // Names of their own: /metrics and the 系统状态 page label counters by name (edge/observability/metric-names.ts);
    // the free space itself is a gauge there (classedge_disk_free_bytes).
    return { diskChecks: this.#checks, diskCheckFailures: this.#failures, shedRows: shed };
  }

  diskState(): DiskState {
    return { ...this.#state, shed: { ...this.#state.shed } };
  }

  #measure(): DiskMeasure {
    let inside = 0;
    try {
      inside = this.#o.store.disk.freeBytesInside();
    } catch {
      inside = 0;
    }
    return measureDisk(this.#o.config, inside);
  }

  /** Audit one deletion; on a disk too full even for that, the log keeps it (and the count is shown). */
  #record(cls: string, n: number, unit: 'rows' | 'files', level: DiskLevel, freeMb: number): void {
    this.#state.shed[cls] = (this.#state.shed[cls] ?? 0) + n;
    this.#o.log.warn({ class: cls, [unit]: n, level, freeMb }, 'disk nearly full: deleted to make room');
  }

  #shedStep(level: DiskLevel, step: number): { cls: string; n: number; unit: 'rows' | 'files' } | undefined {
    const { store, config } = this.#o;
    const now = Date.now();
    switch (step) {
      case 0: {
        // A capture that ended is kept only for a technician to collect; under pressure it goes now.
        const n = purgeCaptures(
          {
            dataDir: config.dataDir,
            analysis: { ...config.analysis, diagnosticCapture: { ...config.analysis.diagnosticCapture, keepHours: 0 } },
          },
          now,
        );
        return { cls: 'diagnostic-captures', n, unit: 'files' };
      }
      case 1: {
        const aside = corruptAsideFiles(config.dataDir);
        const drop = level === 'critical' ? aside : aside.slice(0, -1);
        let n = 0;
        for (const name of drop)
          for (const f of [name, `${name}-wal`, `${name}-shm`]) {
            rmSync(join(config.dataDir, f), { force: true });
            if (f === name) n++;
          }
        return { cls: 'damaged-database-copies', n, unit: 'files' };
      }
      case 2: {
        const before = Math.floor(now / 60_000) - config.disk.shedRollupsOlderThanDays * 1440;
        const n = store.transaction(() => {
          const k = store.disk.shedRollups(before, config.disk.shedBatchRows);
          if (k > 0) this.#audit('readings-1m', k, level);
          return k;
        });
        return { cls: 'readings-1m', n, unit: 'rows' };
      }
      case 3: {
        const before = now - config.disk.shedReadingsOlderThanHours * 3_600_000;
        const n = store.transaction(() => {
          const k = store.disk.shedReadings(before, config.disk.shedBatchRows);
          if (k > 0) this.#audit('readings', k, level);
          return k;
        });
        return { cls: 'readings', n, unit: 'rows' };
      }
      default:
        return undefined;
    }
  }

  #audit(cls: string, n: number, level: DiskLevel, unit: 'rows' | 'files' = 'rows'): void {
    this.#o.store.audit.record({
      actor: 'system',
      action: 'disk.shed',
      target: cls,
      result: 'ok',
      detail: { class: cls, [unit]: n, level },
    });
  }

  /** Measure, shed while not ok (a bounded number of batches per check), and report. */
  check(): DiskState {
    this.#checks++;
    let m = this.#measure();
    const started = m.level;
    if (m.level !== 'ok') {
      let batches = 0;
      for (let step = 0; m.level !== 'ok' && step < 4;) {
        let r: { cls: string; n: number; unit: 'rows' | 'files' } | undefined;
        try {
          // Deleting rows makes room for rows, not on the file system: only when room for data is short.
          r = step < 2 || m.dataLevel !== 'ok' ? this.#shedStep(m.level, step) : undefined;
        } catch (err) {
          // A delete can itself fail on a full disk (its WAL append); the next class may free room.
          this.#failures++;
          this.#o.log.error({ err: errorMessage(err), step }, 'disk guard could not delete; trying the next class');
          r = undefined;
        }
        if (r && r.n > 0) {
          if (r.unit === 'files') {
            try {
              this.#audit(r.cls, r.n, m.level, 'files');
            } catch (err) {
              this.#o.log.error({ err: errorMessage(err) }, 'disk.shed audit record not written');
            }
          }
          this.#record(r.cls, r.n, r.unit, m.level, Math.round(m.free / MB));
        }
        m = this.#measure();
        // Rows go a batch at a time (files all at once); the next class only when this one has no more.
        if (!r || r.n === 0 || r.unit === 'files' || ++batches >= 50) {
          step++;
          batches = 0;
        }
      }
      try {
        // Deleted pages' old images stay in the WAL until it is checkpointed and truncated.
        this.#o.store.retention.checkpoint();
      } catch (err) {
        this.#o.log.error({ err: errorMessage(err) }, 'checkpoint after shedding failed');
      }
      m = this.#measure();
    }
    let unsynced = this.#state.unsyncedReadings;
    try {
      unsynced = this.#o.store.disk.unsyncedReadings();
    } catch {
      // Counting needs a read only; a failure keeps the last count.
    }
    this.#state = {
      ...this.#state,
      level: m.level,
      freeMb: Math.round(m.free / MB),
      totalMb: Math.round(m.total / MB),
      unsyncedReadings: unsynced,
    };
    if (m.level === 'ok' && this.#state.recovered === undefined) this.setState('running');
    else if (m.level === 'ok')
      this.setState('degraded', `started on a fresh database: the damaged one is ${this.#state.recovered?.movedTo}`);
    else
      this.setState(
        'degraded',
        `disk ${m.level}: ${this.#state.freeMb} MB free of ${this.#state.totalMb} MB${started !== 'ok' ? '; old data deleted to make room' : ''}${unsynced > 0 ? `; ${unsynced} readings not yet at the district are kept` : ''}`,
      );
    return this.diskState();
  }

  async start(): Promise<void> {
    const run = (): void => {
      try {
        this.check();
      } catch (err) {
        this.#failures++;
        this.#o.log.error({ err: errorMessage(err) }, 'disk check failed');
        this.setState('degraded', `disk check failed: ${errorMessage(err)}`);
      }
    };
    run();
    this.#timer = this.every(this.#o.config.disk.checkSeconds * 1000, run, (err) =>
      this.#o.log.error({ err: errorMessage(err) }, 'disk check failed'),
    );
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.setState('stopped');
  }
}
