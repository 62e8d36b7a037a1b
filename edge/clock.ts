import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/**
 * Milliseconds on the monotonic clock (CLOCK_MONOTONIC through libuv): it never jumps when the wall
 * clock is set, by a bad RTC, an unauthenticated NTP answer or a technician. Every "has this much
 * time passed?" of the appliance (session and lock ends, throttle windows, poll schedules,
 * heartbeats, the retention job's clock check) is measured on it; the wall clock only stamps what is
 * stored and says what a time of day means (timetable, panel schedule). On Linux it counts from
 * boot, so two processes of one boot (the appliance and the CLI) share it; `bootId()` tells boots apart.
 */
export function monoNow(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

let boot: string | undefined;

/** This boot's id: monotonic times of the same boot compare; of different boots they do not. */
export function bootId(): string {
  if (boot === undefined) {
    try {
      boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      // Without the kernel's id, only this process's own monotonic times are known to compare.
      boot = `process-${randomUUID()}`;
    }
  }
  return boot;
}
