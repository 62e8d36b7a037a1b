import { readFileSync, readdirSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * CPU priorities in the soak. On the classroom's mini-PC the appliance shares its two cores with the
 * kiosk's Chromium only; the rest of what the soak runs (PostgreSQL and the district receiver, the two
 * partner appliances, the viewers' WebRTC peers in the harness, the simulators) stands for other
 * machines. So the far side runs at nice 10, and the appliance and the kiosk at nice 0: on a machine
 * where everything is runnable at once, the appliance's event loop then waits for a core as it would
 * beside a kiosk only. Raising a priority back to 0 needs root; without it everything stays at 0.
 */
export const FAR_SIDE_NICE = 10;

/** The process and every process below it (by /proc's children lists). */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    try {
      for (const t of readdirSync(`/proc/${p}/task`))
        queue.push(
          ...readFileSync(`/proc/${p}/task/${t}/children`, 'utf8')
            .split(' ')
            .filter((s) => s.trim() !== '')
            .map(Number),
        );
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Linux's priority is per thread: every thread of `pid` (threads made later inherit from theirs). */
function setAllThreads(pid: number, nice: number): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const t of tids) {
    try {
      setPriority(Number(t), nice);
    } catch {
      /* gone, or not allowed (not root) */
    }
  }
}

/** The harness itself and everything it starts from now on: the far side. */
export function harnessIsFarSide(): boolean {
  if (process.getuid?.() !== 0) return false;
  setAllThreads(process.pid, FAR_SIDE_NICE);
  return true;
}

/** Back to nice 0: the appliance under test and what it starts (its media worker), or the kiosk. */
export function atClassroomPriority(pid: number): void {
  for (const p of descendants(pid)) setAllThreads(p, 0);
}
