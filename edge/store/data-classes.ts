import type { Config } from '../config/schema.js';

/**
 * Every class of data the appliance keeps, with why, for how long and where it may go
 * (privacy-security.md: "every data class has a documented purpose, retention and destination,
 * visible to IT staff"). `classedge doctor --json` and `GET /api/v1/data-classes` show this table;
 * the retention job enforces it.
 */
export interface DataClass {
  name: string;
  table: string;
  purpose: string;
  personal: 'none' | 'staff' | 'student-sensitive';
  /** Where it may leave the appliance to. */
  destination: 'local-only' | 'district';
  /** Days kept, from configuration; undefined = kept while it is in use. */
  retentionDays(config: Config): number | undefined;
  /** SQL expression of the time (ms since epoch) that retention counts from. */
  timeColumn?: string;
  /** Extra condition a row must meet before retention may delete it. */
  purgeCondition?: string;
  /**
   * Outbox streams holding copies of this class's rows for the district. A copy waits there until the
   * district confirms it, which never happens on a box that is not enrolled: retention withdraws the
   * copies of student-sensitive classes when they pass the class's retention, enrolled or not.
   */
  outboxStreams?: readonly string[];
  /** What survives a crash of the process and a power cut, and when (docs/storage.md). */
  durability: Durability;
}

/**
 * The durability promises, each with its flash cost (docs/storage.md):
 * - `commit`: rare events written in their own transaction, synced before anyone is told "done";
 * - `journal`: sensor readings, through the readings journal: a QoS 1 reading survives a power cut when
 *   its PUBACK is sent (store.groupCommitMaxDelayMs); a polled reading survives a crash at once and a
 *   power cut within store.polledSyncMaxMs;
 * - `derived`: computed from other classes and written in batches (store.applyIntervalMs); after a crash
 *   or power cut what was lost is computed again from its source.
 */
export type Durability = 'commit' | 'journal' | 'derived';

export const DURABILITY_TEXT: Readonly<Record<Durability, string>> = {
  commit: 'Synced to the disk in its own transaction before it is confirmed (survives a power cut).',
  journal:
    'Sensor readings: an acknowledged (MQTT QoS 1) reading is on the disk when its PUBACK is sent; a polled one (Modbus, QoS 0) survives a process crash at once and a power cut within store.polledSyncMaxMs.',
  derived:
    'Computed from stored readings and written every store.applyIntervalMs; after a crash what was lost is computed again.',
};

export const dataClasses: readonly DataClass[] = [
  {
    name: 'readings',
    durability: 'journal',
    table: 'readings',
    purpose: 'Classroom environment monitoring (air, light, noise) against national standards.',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.readingsDays,
    timeColumn: 'ts',
    // Purged only once the district holds them (when the appliance is enrolled).
    purgeCondition:
      "(id <= (SELECT coalesce(max(confirmed_seq), 0) FROM sync_state WHERE stream = 'readings') OR NOT EXISTS (SELECT 1 FROM meta WHERE key = 'enrolled'))",
  },
  {
    name: 'readings-1m',
    durability: 'derived',
    table: 'readings_1m',
    purpose: 'Per-minute min/avg/max of every sensor metric: charts and rolling averages against the standards.',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.readingsDays,
    timeColumn: 'minute * 60000',
  },
  {
    name: 'env-alerts',
    durability: 'commit',
    table: 'env_alerts',
    purpose:
      'Environment alerts (limit, start, end, peak) as evidence of the room conditions; sent to the district first.',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.readingsDays,
    timeColumn: 'started_at',
    purgeCondition: 'ended_at IS NOT NULL',
  },
  {
    name: 'env-days',
    durability: 'commit',
    table: 'env_day_summaries',
    purpose:
      "Each school day's exposure during lessons (minutes with CO2, PM2.5 over the limits, light below the desk minimum; noise mean and max), for the district's environment page.",
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.readingsDays,
    timeColumn: 'made_at',
  },
  {
    name: 'screen-time',
    durability: 'commit',
    table: 'screen_time',
    purpose:
      'Minutes each panel was on per day and lesson, against the 30 % screen-teaching guidance (myopia prevention).',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.readingsDays,
    timeColumn: 'unixepoch(day) * 1000',
  },
  {
    name: 'lessons',
    durability: 'commit',
    table: 'lessons',
    purpose:
      'Per-lesson interaction figures (S-T codes, Rt, Ch, teaching mode, teacher and student talk time, turns, class-level head-up rate): counts and durations, no audio, no image, no student.',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.lessonsDays,
    timeColumn: 'started_at',
    purgeCondition: 'ended_at IS NOT NULL',
  },
  {
    name: 'lesson-samples',
    durability: 'commit',
    table: 'lesson_samples',
    purpose:
      'The S-T sample of each interval of a lesson (code, talk seconds, face count against students present): the S-T curve and head-up line of the lesson report.',
    personal: 'none',
    destination: 'district',
    retentionDays: (c) => c.retention.lessonsDays,
    timeColumn: 'at',
  },
  {
    name: 'health-checks',
    durability: 'commit',
    table: 'health_checks',
    purpose:
      'Morning health check (晨检): temperature (raw, ambient, compensated), symptoms, fever follow-up. Sensitive personal information of minors.',
    personal: 'student-sensitive',
    destination: 'district',
    retentionDays: (c) => c.retention.healthDays,
    timeColumn: 'checked_at',
    outboxStreams: ['health-checks'],
  },
  {
    name: 'absences',
    durability: 'commit',
    table: 'absences',
    purpose: 'Absence for illness follow-up (因病缺勤追踪, WS/T 772-2020): reason, symptoms, onset, return.',
    personal: 'student-sensitive',
    destination: 'district',
    retentionDays: (c) => c.retention.healthDays,
    timeColumn: 'recorded_at',
    outboxStreams: ['absences'],
  },
  {
    name: 'health-alerts',
    durability: 'commit',
    table: 'health_alerts',
    purpose: 'Class-level outbreak signals (2006 reporting rules), with pseudonyms only; sent to the district first.',
    personal: 'student-sensitive',
    destination: 'district',
    retentionDays: (c) => c.retention.healthDays,
    timeColumn: 'raised_at',
    outboxStreams: ['health-alerts'],
  },
  {
    name: 'sync-quarantine',
    durability: 'commit',
    table: 'sync_quarantine',
    purpose:
      'Records the district refused by name (a day outside its window, a malformed record), held with the reason for IT staff; may hold copies of health records.',
    personal: 'student-sensitive',
    destination: 'local-only',
    retentionDays: (c) => c.retention.healthDays,
    timeColumn: 'quarantined_at',
  },
  {
    name: 'roster',
    durability: 'commit',
    table: 'students',
    purpose: 'Class roster: name and student number stay on the appliance; a pseudonym is what leaves it.',
    personal: 'student-sensitive',
    destination: 'local-only',
    retentionDays: () => undefined,
  },
  {
    name: 'guardian-consent',
    durability: 'commit',
    table: 'guardian_consent',
    purpose:
      "The guardian's consent per student (PIPL arts. 29, 31): a student's own health records go to the district only with it.",
    personal: 'student-sensitive',
    destination: 'local-only',
    // Kept while the student is on the roster; erasing the student deletes it.
    retentionDays: () => undefined,
  },
  {
    name: 'audit-log',
    durability: 'commit',
    table: 'audit_log',
    purpose: 'Security audit (等级保护 2.0): who did what, when, with what result.',
    personal: 'staff',
    destination: 'local-only',
    retentionDays: (c) => c.retention.auditDays,
    timeColumn: 'ts',
  },
  {
    name: 'sessions',
    durability: 'commit',
    table: 'sessions',
    purpose: 'Login sessions of admins and teachers.',
    personal: 'staff',
    destination: 'local-only',
    retentionDays: (c) => c.retention.sessionsDays,
    timeColumn: 'last_seen_at',
    purgeCondition: 'ended_at IS NOT NULL',
  },
  {
    name: 'users',
    durability: 'commit',
    table: 'users',
    purpose: 'Admin and teacher accounts (name, role, slow hash of password or PIN).',
    personal: 'staff',
    destination: 'local-only',
    retentionDays: () => undefined,
  },
  {
    name: 'devices',
    durability: 'commit',
    table: 'devices',
    purpose: 'Registered classroom devices and the slow hash of their MQTT secret.',
    personal: 'none',
    destination: 'local-only',
    retentionDays: () => undefined,
  },
  {
    name: 'system-history',
    durability: 'commit',
    table: 'system_history',
    purpose:
      "The appliance's own CPU, memory, disk free, flash writes, event-loop lag and sync lag every few minutes, for the 系统状态 charts; bounded by metrics.historyMaxRows.",
    personal: 'none',
    destination: 'local-only',
    retentionDays: () => undefined,
  },
];
