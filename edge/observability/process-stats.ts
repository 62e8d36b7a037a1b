import { readFileSync, statfsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Bytes this process caused to reach the block device (`write_bytes` of /proc/self/io): what wears
 * the flash, page cache and fsync included, unlike the bytes handed to write(). Undefined where the
 * kernel does not count it (not Linux, or a kernel without task I/O accounting).
 */
export function flashBytesWritten(): number | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/io', 'utf8');
  } catch {
    return undefined;
  }
  const m = /^write_bytes:\s*(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** Free (for an unprivileged writer) and total bytes of the file system holding `dir`. */
export function diskSpace(dir: string): { freeBytes: number; totalBytes: number } {
  const s = statfsSync(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

export const CPU_CORES = availableParallelism();

/** The process's share of the machine's cores between two calls of `take()` (0..1). */
export class CpuShare {
  #cpu = process.cpuUsage();
  #at = process.hrtime.bigint();

  take(): number {
    const cpu = process.cpuUsage(this.#cpu);
    const now = process.hrtime.bigint();
    const wallUs = Number(now - this.#at) / 1000;
    this.#cpu = process.cpuUsage();
    this.#at = now;
    if (wallUs <= 0) return 0;
    return (cpu.user + cpu.system) / (wallUs * CPU_CORES);
  }
}

/** monitorEventLoopDelay's timer period (ms). */
const LAG_RESOLUTION_MS = 10;

/**
 * Event-loop delay quantiles over a window that `take()` ends and starts again. Each reader has its
 * own (the scrape and the on-box history must not reset each other's window).
 */
export class LoopLag {
  readonly #h = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });

  constructor() {
    this.#h.enable();
  }

  /**
   * p50 and p99 in milliseconds since the previous call (0 when the loop was never measured). The
   * histogram records the time between its timer's runs, so an idle loop reads the timer's period
   * (10 ms): that is taken off, leaving how late the loop was.
   */
  take(): { p50Ms: number; p99Ms: number } {
    const late = (q: number): number => Math.max(0, this.#h.percentile(q) / 1e6 - LAG_RESOLUTION_MS);
    const r = this.#h.count > 0 ? { p50Ms: late(50), p99Ms: late(99) } : { p50Ms: 0, p99Ms: 0 };
    this.#h.reset();
    return r;
  }

  close(): void {
    this.#h.disable();
  }
}
