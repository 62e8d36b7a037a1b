import { GroupCommit } from '../store/group-commit.js';
import type { ReadingRow, ReadingsRepo } from '../store/repos/readings.js';
import type { TypedEmitter } from '../runtime/component.js';
import type { LiveEvents } from '../messages.js';

/**
 * Where every validated reading goes, whatever brought it (MQTT, Modbus, a simulator): a group
 * commit into SQLite, then one live event per source message. `done` is called only after the
 * rows are durable, so a caller may acknowledge its device then and not before.
 */
export class ReadingsPipeline {
  readonly #commit: GroupCommit<ReadingRow>;
  readonly #bus: TypedEmitter<LiveEvents>;

  constructor(opts: { readings: ReadingsRepo; bus: TypedEmitter<LiveEvents>; maxDelayMs: number; maxRows: number }) {
    this.#bus = opts.bus;
    this.#commit = new GroupCommit<ReadingRow>({
      commit: (rows) => opts.readings.insertMany(rows),
      maxDelayMs: opts.maxDelayMs,
      maxItems: opts.maxRows,
    });
  }

  /** Rows of one source message (same device and time). */
  submit(rows: readonly ReadingRow[], done: (err: Error | null) => void): void {
    this.#commit.add(rows, (err) => {
      if (err === null && rows.length > 0) {
        const first = rows[0] as ReadingRow;
        const metrics: Record<string, number> = {};
        for (const r of rows) metrics[r.metric] = r.value;
        this.#bus.safeEmit('reading', {
          deviceId: first.deviceId,
          ts: first.ts,
          receivedAt: first.receivedAt,
          metrics,
        });
      }
      done(err);
    });
  }

  submitAsync(rows: readonly ReadingRow[]): Promise<void> {
    return new Promise((resolve, reject) => this.submit(rows, (err) => (err ? reject(err) : resolve())));
  }

  get committedRows(): number {
    return this.#commit.committedItems;
  }

  get commits(): number {
    return this.#commit.commits;
  }

  close(): void {
    this.#commit.close();
  }
}
