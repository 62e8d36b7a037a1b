import { readFileSync } from 'node:fs';

/** What the soak reads of the appliance's processes from /proc. */

export function procSample(pid: number): { rssKb: number; cpuTicks: number; runWaitNs?: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    // Fields after the command's closing parenthesis: utime and stime are the 14th and 15th of the line.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuTicks = Number(rest[11]) + Number(rest[12]);
    if (!Number.isFinite(rssKb) || !Number.isFinite(cpuTicks)) return undefined;
    const runWaitNs = Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(runWaitNs) ? { rssKb, cpuTicks, runWaitNs } : { rssKb, cpuTicks };
  } catch {
    return undefined;
  }
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
