/**
 * The compressed calendar of the soak: each simulated day is a list of events at fractions of the
 * day's wall-clock length. Sensors keep their real rates throughout (one MQTT reading per device per
 * 10 s, Modbus polls every 2 s); only the classroom's timetable and the faults come faster than in
 * life, driven through the appliance's API and the harness's own hands on cables, processes and clock.
 */
export type SoakEvent =
  /** Roster already imported; 40 students pass the door thermometer, each check recorded by the teacher. */
  | 'morning-check'
  /** A lesson: started, recorded on the two microphones with camera frames every 5 s, ended. */
  | 'lesson'
  /** A remote lesson: two partner classrooms and eight viewers join the appliance's room. */
  | 'remote-lesson'
  /** The night window's bulk upload, asked for now (POST /api/v1/sync/now). */
  | 'nightly-sync'
  /** The RS-485 adapter pulled out (the pty pair closed) and plugged back 20 s later. */
  | 'serial-unplug'
  /** The district receiver stopped, for the rest of the day (restarted by 'district-back'). */
  | 'district-down'
  | 'district-back'
  /** The next uploads cut half-way through the request and after the district committed. */
  | 'network-cut'
  /** The media worker process killed -9 (the SFU must notice and start another). */
  | 'media-worker-kill'
  /** The appliance killed -9 and started again on the same data directory. */
  | 'appliance-kill'
  /** The wall clock stepped one hour forward, then back (libfaketime). */
  | 'clock-step'
  /** Disk nearly full: a hook for DISK's shedding (filler file in the data directory's filesystem). */
  | 'disk-full';

export interface SimDay {
  /** Short name printed in the per-day report. */
  name: string;
  events: { at: number; do: SoakEvent }[];
}

/** A school day: morning check, two lessons, a remote lesson, and the nightly sync at its end. */
const school = (extra: { at: number; do: SoakEvent }[] = []): { at: number; do: SoakEvent }[] =>
  [
    { at: 0.02, do: 'morning-check' as const },
    { at: 0.15, do: 'lesson' as const },
    { at: 0.35, do: 'lesson' as const },
    { at: 0.55, do: 'remote-lesson' as const },
    { at: 0.9, do: 'nightly-sync' as const },
    ...extra,
  ].sort((a, b) => a.at - b.at);

/**
 * A school week with a fault on every day. A district outage lasts from mid-day until the next
 * morning (that night's sync fails and the next one catches up).
 */
export const WEEK: SimDay[] = [
  { name: 'Mon', events: school([{ at: 0.45, do: 'appliance-kill' }]) },
  {
    name: 'Tue',
    events: school([
      { at: 0.25, do: 'serial-unplug' },
      { at: 0.7, do: 'network-cut' },
    ]),
  },
  {
    name: 'Wed',
    events: school([
      { at: 0.6, do: 'district-down' },
      { at: 0.97, do: 'district-back' },
    ]),
  },
  {
    name: 'Thu',
    events: school([
      { at: 0.4, do: 'media-worker-kill' },
      { at: 0.5, do: 'clock-step' },
    ]),
  },
  {
    name: 'Fri',
    events: school([
      { at: 0.3, do: 'disk-full' },
      { at: 0.75, do: 'appliance-kill' },
    ]),
  },
  // The weekend: sensors only, the nightly sync, and one more power cut.
  {
    name: 'Sat',
    events: [
      { at: 0.5, do: 'appliance-kill' },
      { at: 0.9, do: 'nightly-sync' },
    ],
  },
  { name: 'Sun', events: [{ at: 0.9, do: 'nightly-sync' }] },
];

/**
 * CI's short soak: the same harness over two short days with every kind of fault once (the district
 * outage aside: the cut uploads exercise the same retry), so that a regression in the exactly-once
 * path, the disk guard or the media worker's restart fails CI.
 */
export const SHORT: SimDay[] = [
  {
    name: 'Mon',
    events: [
      { at: 0.02, do: 'morning-check' },
      { at: 0.15, do: 'lesson' },
      { at: 0.3, do: 'disk-full' },
      { at: 0.55, do: 'appliance-kill' },
      { at: 0.7, do: 'serial-unplug' },
      { at: 0.9, do: 'nightly-sync' },
    ],
  },
  {
    name: 'Tue',
    events: [
      { at: 0.02, do: 'morning-check' },
      { at: 0.15, do: 'network-cut' },
      { at: 0.2, do: 'lesson' },
      { at: 0.3, do: 'media-worker-kill' },
      { at: 0.45, do: 'clock-step' },
      { at: 0.6, do: 'appliance-kill' },
      { at: 0.9, do: 'nightly-sync' },
    ],
  },
];

/** The faults the week adds to CI's short days, in one day: for trying them alone (`npm run soak -- --faults`). */
export const FAULTS: SimDay[] = [
  {
    name: 'Faults',
    events: [
      { at: 0.02, do: 'remote-lesson' },
      { at: 0.3, do: 'media-worker-kill' },
      { at: 0.65, do: 'disk-full' },
      { at: 0.9, do: 'nightly-sync' },
    ],
  },
];

/** The week repeated until `hours` of wall clock are filled, at least one week. */
export function calendar(hours: number): { days: SimDay[]; dayMs: number } {
  const weeks = Math.max(1, Math.round(hours / 2));
  const days = Array.from({ length: weeks }, () => WEEK).flat();
  return { days, dayMs: Math.floor((hours * 3_600_000) / days.length) };
}
