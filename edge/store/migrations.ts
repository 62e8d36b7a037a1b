/**
 * Numbered migrations, applied in order inside one transaction each; `PRAGMA user_version`
 * records the last one applied. Never edit a released migration: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'foundation',
    sql: `
CREATE TABLE devices (
  id           TEXT PRIMARY KEY,
  kind         TEXT NOT NULL,
  description  TEXT NOT NULL DEFAULT '',
  secret_hash  TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  created_by   TEXT NOT NULL,
  disabled     INTEGER NOT NULL DEFAULT 0,
  last_seen_at INTEGER
) STRICT;

CREATE TABLE readings (
  id          INTEGER PRIMARY KEY,
  device_id   TEXT NOT NULL,
  metric      TEXT NOT NULL,
  value       REAL NOT NULL,
  ts          INTEGER NOT NULL,
  received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX readings_by_series ON readings (device_id, metric, ts);
CREATE INDEX readings_by_ts ON readings (ts);

CREATE TABLE users (
  id            INTEGER PRIMARY KEY,
  username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
  display_name  TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('admin', 'teacher')),
  secret_hash   TEXT NOT NULL,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until  INTEGER,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
  id           TEXT PRIMARY KEY,
  user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  csrf         TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ended_at     INTEGER,
  client       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX sessions_by_end ON sessions (ended_at);

CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  ts        INTEGER NOT NULL,
  actor     TEXT NOT NULL,
  action    TEXT NOT NULL,
  target    TEXT NOT NULL DEFAULT '',
  result    TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'error')),
  detail    TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL
) STRICT;
CREATE INDEX audit_by_ts ON audit_log (ts);

-- The audit log is append-only: no update ever, and nothing younger than 180 days is deleted
-- (Cybersecurity Law art. 21). Retention may delete older rows.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_no_young_delete BEFORE DELETE ON audit_log
WHEN old.ts > (unixepoch('now', '-180 days') * 1000)
BEGIN SELECT RAISE(ABORT, 'audit records younger than 180 days cannot be deleted'); END;
`,
  },
  {
    version: 2,
    name: 'environment',
    sql: `
-- Per-minute rollups per sensor and metric: the 24-h charts and rolling averages read these.
CREATE TABLE readings_1m (
  device_id TEXT NOT NULL,
  metric    TEXT NOT NULL,
  minute    INTEGER NOT NULL,
  n         INTEGER NOT NULL,
  sum       REAL NOT NULL,
  min       REAL NOT NULL,
  max       REAL NOT NULL,
  PRIMARY KEY (metric, minute, device_id)
) STRICT, WITHOUT ROWID;

-- How far the rollups have consumed the readings (by received_at), so a restart rolls up the rest.
CREATE TABLE rollup_watermark (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  received_at INTEGER NOT NULL
) STRICT;
INSERT INTO rollup_watermark (id, received_at) VALUES (1, 0);

CREATE TABLE env_alerts (
  id         INTEGER PRIMARY KEY,
  rule_id    TEXT NOT NULL,
  metric     TEXT NOT NULL,
  level      TEXT NOT NULL,
  win        TEXT NOT NULL,
  direction  TEXT NOT NULL CHECK (direction IN ('high', 'low')),
  threshold  REAL NOT NULL,
  advice     TEXT,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER,
  peak       REAL NOT NULL,
  last_value REAL NOT NULL
) STRICT;
CREATE INDEX env_alerts_open ON env_alerts (ended_at);
CREATE INDEX env_alerts_by_start ON env_alerts (started_at);
`,
  },
  {
    version: 3,
    name: 'screen-time',
    sql: `
-- Seconds a panel was on, per local day and lesson (lesson -1 = outside lessons), against the
-- guidance that screen teaching stays under 30 % of teaching time.
CREATE TABLE screen_time (
  day        TEXT NOT NULL,
  display    TEXT NOT NULL,
  lesson     INTEGER NOT NULL,
  on_s       REAL NOT NULL,
  lesson_s   REAL NOT NULL,
  PRIMARY KEY (day, display, lesson)
) STRICT, WITHOUT ROWID;
`,
  },
  {
    version: 4,
    name: 'health',
    sql: `
-- The class roster. Names stay on the appliance; what leaves it carries the pseudonym only.
CREATE TABLE classes (
  id   TEXT PRIMARY KEY,
  name TEXT NOT NULL
) STRICT;

CREATE TABLE students (
  id             INTEGER PRIMARY KEY,
  class_id       TEXT NOT NULL REFERENCES classes(id),
  student_no     TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  pseudonym      TEXT NOT NULL UNIQUE,
  card_id        TEXT UNIQUE,
  guardian_phone TEXT,
  active         INTEGER NOT NULL DEFAULT 1
) STRICT;

-- A check is never changed: a correction is a new row that supersedes it (who, when, why kept).
CREATE TABLE health_checks (
  id                  INTEGER PRIMARY KEY,
  student_id          INTEGER NOT NULL REFERENCES students(id),
  day                 TEXT NOT NULL,
  checked_at          INTEGER NOT NULL,
  temp_raw            REAL,
  temp_ambient        REAL,
  temp_compensated    REAL,
  compensation        TEXT,
  symptoms            TEXT NOT NULL DEFAULT '[]',
  notes               TEXT NOT NULL DEFAULT '',
  result              TEXT NOT NULL CHECK (result IN ('normal', 'symptoms', 'fever-pending', 'fever-cleared', 'fever-confirmed')),
  remeasure_of        INTEGER REFERENCES health_checks(id),
  recorded_by         TEXT NOT NULL,
  corrects            INTEGER REFERENCES health_checks(id),
  correction_reason   TEXT,
  superseded_by       INTEGER REFERENCES health_checks(id)
) STRICT;
CREATE INDEX health_checks_by_day ON health_checks (day, student_id);

CREATE TABLE absences (
  id           INTEGER PRIMARY KEY,
  student_id   INTEGER NOT NULL REFERENCES students(id),
  day          TEXT NOT NULL,
  reason       TEXT NOT NULL CHECK (reason IN ('illness', 'personal', 'other', 'unknown')),
  symptoms     TEXT NOT NULL DEFAULT '[]',
  onset_day    TEXT,
  returned_day TEXT,
  follow_up    TEXT NOT NULL DEFAULT '[]',
  recorded_by  TEXT NOT NULL,
  recorded_at  INTEGER NOT NULL,
  UNIQUE (student_id, day)
) STRICT;

CREATE TABLE health_alerts (
  id         INTEGER PRIMARY KEY,
  class_id   TEXT NOT NULL,
  rule       TEXT NOT NULL,
  category   TEXT NOT NULL,
  first_day  TEXT NOT NULL,
  last_day   TEXT NOT NULL,
  cases      INTEGER NOT NULL,
  raised_at  INTEGER NOT NULL,
  pseudonyms TEXT NOT NULL,
  UNIQUE (class_id, rule, category, first_day)
) STRICT;

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) STRICT;
`,
  },
  {
    version: 5,
    name: 'sync-outbox',
    sql: `
-- The outbox of every data class that leaves the classroom, except readings (whose rowid is their
-- sequence). Triggers write each change with the next number of its stream, in the same
-- transaction as the change itself, so nothing committed can miss the outbox.
CREATE TABLE sync_seq (stream TEXT PRIMARY KEY, next INTEGER NOT NULL) STRICT;
INSERT INTO sync_seq (stream, next) VALUES ('env-alerts', 1), ('health-checks', 1), ('absences', 1), ('health-alerts', 1), ('screen-time', 1);
CREATE TABLE outbox (
  stream     TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  payload    TEXT NOT NULL,
  PRIMARY KEY (stream, seq)
) STRICT, WITHOUT ROWID;
-- What the district has confirmed, per stream.
CREATE TABLE sync_state (
  stream          TEXT PRIMARY KEY,
  confirmed_seq   INTEGER NOT NULL DEFAULT 0,
  last_success_at INTEGER,
  last_error      TEXT,
  last_error_at   INTEGER
) STRICT;
CREATE TRIGGER outbox_env_alerts_insert AFTER INSERT ON env_alerts
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'env-alerts', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'rule', NEW.rule_id, 'metric', NEW.metric, 'level', NEW.level, 'window', NEW.win, 'direction', NEW.direction, 'threshold', NEW.threshold, 'advice', NEW.advice, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'peak', NEW.peak, 'day', date(NEW.started_at / 1000, 'unixepoch')) FROM sync_seq WHERE stream = 'env-alerts';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'env-alerts';
END;
CREATE TRIGGER outbox_env_alerts_update AFTER UPDATE ON env_alerts
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'env-alerts', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'rule', NEW.rule_id, 'metric', NEW.metric, 'level', NEW.level, 'window', NEW.win, 'direction', NEW.direction, 'threshold', NEW.threshold, 'advice', NEW.advice, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'peak', NEW.peak, 'day', date(NEW.started_at / 1000, 'unixepoch')) FROM sync_seq WHERE stream = 'env-alerts';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'env-alerts';
END;
CREATE TRIGGER outbox_health_checks_insert AFTER INSERT ON health_checks
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-checks', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'checkedAt', NEW.checked_at, 'tempRaw', NEW.temp_raw, 'ambient', NEW.temp_ambient, 'temp', NEW.temp_compensated, 'compensation', NEW.compensation, 'symptoms', json(NEW.symptoms), 'result', NEW.result, 'remeasureOf', NEW.remeasure_of, 'corrects', NEW.corrects, 'correctionReason', NEW.correction_reason, 'supersededBy', NEW.superseded_by) FROM sync_seq WHERE stream = 'health-checks';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-checks';
END;
CREATE TRIGGER outbox_health_checks_update AFTER UPDATE ON health_checks
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-checks', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'checkedAt', NEW.checked_at, 'tempRaw', NEW.temp_raw, 'ambient', NEW.temp_ambient, 'temp', NEW.temp_compensated, 'compensation', NEW.compensation, 'symptoms', json(NEW.symptoms), 'result', NEW.result, 'remeasureOf', NEW.remeasure_of, 'corrects', NEW.corrects, 'correctionReason', NEW.correction_reason, 'supersededBy', NEW.superseded_by) FROM sync_seq WHERE stream = 'health-checks';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-checks';
END;
CREATE TRIGGER outbox_absences_insert AFTER INSERT ON absences
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'absences', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'reason', NEW.reason, 'symptoms', json(NEW.symptoms), 'onset', NEW.onset_day, 'returned', NEW.returned_day) FROM sync_seq WHERE stream = 'absences';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'absences';
END;
CREATE TRIGGER outbox_absences_update AFTER UPDATE ON absences
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'absences', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'reason', NEW.reason, 'symptoms', json(NEW.symptoms), 'onset', NEW.onset_day, 'returned', NEW.returned_day) FROM sync_seq WHERE stream = 'absences';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'absences';
END;
CREATE TRIGGER outbox_health_alerts_insert AFTER INSERT ON health_alerts
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-alerts', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'class', NEW.class_id, 'rule', NEW.rule, 'category', NEW.category, 'firstDay', NEW.first_day, 'lastDay', NEW.last_day, 'cases', NEW.cases, 'raisedAt', NEW.raised_at, 'pseudonyms', json(NEW.pseudonyms), 'day', NEW.last_day) FROM sync_seq WHERE stream = 'health-alerts';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-alerts';
END;
CREATE TRIGGER outbox_screen_time_insert AFTER INSERT ON screen_time
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'screen-time', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('day', NEW.day, 'display', NEW.display, 'lesson', NEW.lesson, 'onSeconds', NEW.on_s, 'lessonSeconds', NEW.lesson_s) FROM sync_seq WHERE stream = 'screen-time';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'screen-time';
END;
CREATE TRIGGER outbox_screen_time_update AFTER UPDATE ON screen_time
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'screen-time', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('day', NEW.day, 'display', NEW.display, 'lesson', NEW.lesson, 'onSeconds', NEW.on_s, 'lessonSeconds', NEW.lesson_s) FROM sync_seq WHERE stream = 'screen-time';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'screen-time';
END;
`,
  },
  {
    version: 6,
    name: 'lesson-analytics',
    sql: `
-- One row per lesson analysed (interaction-analysis.md): counts and durations only, no audio, no
-- image, no student. Samples are written as each interval closes, so a crash keeps the lesson so far.
CREATE TABLE lessons (
  id                INTEGER PRIMARY KEY,
  day               TEXT NOT NULL,
  started_at        INTEGER NOT NULL,
  ended_at          INTEGER,
  source            TEXT NOT NULL CHECK (source IN ('timetable', 'teacher')),
  timetable_index   INTEGER,
  started_by        TEXT NOT NULL,
  ended_by          TEXT,
  sample_interval_s INTEGER NOT NULL,
  codes             TEXT NOT NULL DEFAULT '',
  teacher_talk_s    REAL NOT NULL DEFAULT 0,
  student_talk_s    REAL NOT NULL DEFAULT 0,
  turns             INTEGER NOT NULL DEFAULT 0,
  rt                REAL,
  ch                REAL,
  mode              TEXT,
  head_up_mean      REAL,
  frames_analysed   INTEGER NOT NULL DEFAULT 0,
  frames_dropped    INTEGER NOT NULL DEFAULT 0,
  audio_dropped_s   REAL NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX lessons_started ON lessons (started_at);
CREATE TABLE lesson_samples (
  lesson_id  INTEGER NOT NULL REFERENCES lessons (id) ON DELETE CASCADE,
  idx        INTEGER NOT NULL,
  at         INTEGER NOT NULL,
  code       TEXT CHECK (code IN ('T', 'S')),
  teacher_s  REAL NOT NULL,
  student_s  REAL NOT NULL,
  faces      INTEGER,
  present    INTEGER,
  head_up    REAL,
  PRIMARY KEY (lesson_id, idx)
) STRICT;
INSERT INTO sync_seq (stream, next) VALUES ('lessons', 1);
-- A lesson goes to the district once, when it has ended, with its samples.
CREATE TRIGGER outbox_lessons_ended AFTER UPDATE OF ended_at ON lessons
WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'lessons', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'day', NEW.day, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'source', NEW.source, 'sampleIntervalS', NEW.sample_interval_s, 'codes', NEW.codes, 'teacherTalkS', NEW.teacher_talk_s, 'studentTalkS', NEW.student_talk_s, 'turns', NEW.turns, 'rt', NEW.rt, 'ch', NEW.ch, 'mode', NEW.mode, 'headUpMean', NEW.head_up_mean, 'framesAnalysed', NEW.frames_analysed, 'framesDropped', NEW.frames_dropped, 'headUp', (SELECT json_group_array(head_up) FROM (SELECT head_up FROM lesson_samples WHERE lesson_id = NEW.id ORDER BY idx))) FROM sync_seq WHERE stream = 'lessons';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'lessons';
END;
`,
  },
  {
    version: 7,
    name: 'login-scopes',
    sql: `
-- Failed logins are counted and locked separately for the kiosk's own browser (loopback) and for
-- the LAN: a phone guessing PINs locks the teacher out of LAN logins, not out of the classroom panel.
-- failed_logins / locked_until stay the kiosk's (loopback) counters.
ALTER TABLE users ADD COLUMN remote_failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN remote_locked_until INTEGER;
`,
  },
  {
    version: 8,
    name: 'clock-safety',
    sql: `
-- Each audit record's number in the chain (hashed with it), so a record deleted anywhere shows as a
-- gap. Older records keep no number: their id serves, and the first new record continues from it.
ALTER TABLE audit_log ADD COLUMN seq INTEGER;
CREATE UNIQUE INDEX audit_by_seq ON audit_log (seq);
-- The newest record's number and hash, written in the same transaction as it: deleting the newest
-- records (which leaves a chain that is consistent as far as it goes) shows against it.
CREATE TABLE audit_head (
  id   INTEGER PRIMARY KEY CHECK (id = 1),
  seq  INTEGER NOT NULL,
  hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) SELECT 1, id, hash FROM audit_log ORDER BY id DESC LIMIT 1;
-- The last moment the retention job trusted the wall clock (wall and monotonic time, boot id), and
-- why it distrusts it now, if it does: retention purges nothing while the clock is suspect.
CREATE TABLE clock_state (
  id             INTEGER PRIMARY KEY CHECK (id = 1),
  wall           INTEGER NOT NULL,
  mono           REAL NOT NULL,
  boot           TEXT NOT NULL,
  suspect_since  INTEGER,
  suspect_reason TEXT,
  suspect_drift  INTEGER
) STRICT;
`,
  },
  {
    version: 9,
    name: 'erasures',
    sql: `
-- Erasure records (classedge student erase): queued by the command, not by a trigger, and sent to the
-- district, which deletes that student's records there too.
INSERT INTO sync_seq (stream, next) VALUES ('erasures', 1);
`,
  },
  {
    version: 10,
    name: 'guardian-consent',
    sql: `
-- The guardian consent register (PIPL arts. 29 and 31): per student, what the guardian said, when,
-- who recorded it and from where (the district's roster or the school). No row = not known = no consent.
CREATE TABLE guardian_consent (
  student_id  INTEGER PRIMARY KEY REFERENCES students(id) ON DELETE CASCADE,
  status      TEXT NOT NULL CHECK (status IN ('given', 'refused', 'withdrawn')),
  source      TEXT NOT NULL CHECK (source IN ('roster', 'school')),
  recorded_at INTEGER NOT NULL,
  recorded_by TEXT NOT NULL
) STRICT;
-- A student's own checks and absences go to the district only with the guardian's consent; without
-- it they stay on the appliance (the school's own duty), and class-level outbreak signals still go.
DROP TRIGGER outbox_health_checks_insert;
CREATE TRIGGER outbox_health_checks_insert AFTER INSERT ON health_checks
WHEN EXISTS (SELECT 1 FROM guardian_consent WHERE student_id = NEW.student_id AND status = 'given')
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-checks', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'checkedAt', NEW.checked_at, 'tempRaw', NEW.temp_raw, 'ambient', NEW.temp_ambient, 'temp', NEW.temp_compensated, 'compensation', NEW.compensation, 'symptoms', json(NEW.symptoms), 'result', NEW.result, 'remeasureOf', NEW.remeasure_of, 'corrects', NEW.corrects, 'correctionReason', NEW.correction_reason, 'supersededBy', NEW.superseded_by) FROM sync_seq WHERE stream = 'health-checks';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-checks';
END;
DROP TRIGGER outbox_health_checks_update;
CREATE TRIGGER outbox_health_checks_update AFTER UPDATE ON health_checks
WHEN EXISTS (SELECT 1 FROM guardian_consent WHERE student_id = NEW.student_id AND status = 'given')
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-checks', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'checkedAt', NEW.checked_at, 'tempRaw', NEW.temp_raw, 'ambient', NEW.temp_ambient, 'temp', NEW.temp_compensated, 'compensation', NEW.compensation, 'symptoms', json(NEW.symptoms), 'result', NEW.result, 'remeasureOf', NEW.remeasure_of, 'corrects', NEW.corrects, 'correctionReason', NEW.correction_reason, 'supersededBy', NEW.superseded_by) FROM sync_seq WHERE stream = 'health-checks';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-checks';
END;
DROP TRIGGER outbox_absences_insert;
CREATE TRIGGER outbox_absences_insert AFTER INSERT ON absences
WHEN EXISTS (SELECT 1 FROM guardian_consent WHERE student_id = NEW.student_id AND status = 'given')
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'absences', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'reason', NEW.reason, 'symptoms', json(NEW.symptoms), 'onset', NEW.onset_day, 'returned', NEW.returned_day) FROM sync_seq WHERE stream = 'absences';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'absences';
END;
DROP TRIGGER outbox_absences_update;
CREATE TRIGGER outbox_absences_update AFTER UPDATE ON absences
WHEN EXISTS (SELECT 1 FROM guardian_consent WHERE student_id = NEW.student_id AND status = 'given')
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'absences', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'pseudonym', (SELECT pseudonym FROM students WHERE id = NEW.student_id), 'class', (SELECT class_id FROM students WHERE id = NEW.student_id), 'day', NEW.day, 'reason', NEW.reason, 'symptoms', json(NEW.symptoms), 'onset', NEW.onset_day, 'returned', NEW.returned_day) FROM sync_seq WHERE stream = 'absences';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'absences';
END;
`,
  },
  {
    version: 11,
    name: 'sync-quarantine',
    sql: `
-- Records the district refused by name (a day outside its window, a record that is not one): held
-- back here with the reason; the stream sends their numbers as quarantined lines and goes on.
CREATE TABLE sync_quarantine (
  stream         TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  day            TEXT NOT NULL,
  payload        TEXT NOT NULL,
  reason         TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL,
  PRIMARY KEY (stream, seq)
) STRICT;
`,
  },
  {
    version: 12,
    name: 'readings-journal',
    sql: `
-- Flash wear (docs/storage.md): a batch of readings touched one index leaf per sensor series in
-- readings_by_series. The room's current values move to a table of one row per series, and a series'
-- history is read through readings_by_ts (queries are bounded by time and a limit).
CREATE TABLE readings_latest (
  device_id   TEXT NOT NULL,
  metric      TEXT NOT NULL,
  value       REAL NOT NULL,
  ts          INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (device_id, metric)
) STRICT, WITHOUT ROWID;
INSERT INTO readings_latest (device_id, metric, value, ts, received_at)
  SELECT r.device_id, r.metric, r.value, r.ts, r.received_at FROM readings r
  JOIN (SELECT device_id, metric, max(ts) AS ts FROM readings GROUP BY device_id, metric) m
    ON m.device_id = r.device_id AND m.metric = r.metric AND m.ts = r.ts
  GROUP BY r.device_id, r.metric;
DROP INDEX readings_by_series;
-- The last readings-journal record applied to the readings table, moved in the same transaction as
-- the rows: a record is applied once whoever applies it (edge/store/readings-journal.ts).
CREATE TABLE readings_journal_applied (
  id  INTEGER PRIMARY KEY CHECK (id = 1),
  seq INTEGER NOT NULL
) STRICT;
INSERT INTO readings_journal_applied (id, seq) VALUES (1, 0);
`,
  },
  {
    version: 13,
    name: 'system-history',
    sql: `
-- The 系统状态 page's 24-hour and 7-day charts: one small row every few minutes
-- (metrics.historyIntervalSeconds), the oldest dropped past metrics.historyMaxRows.
-- flash_bytes: block-device bytes the process wrote since the previous row, over span_ms.
CREATE TABLE system_history (
  id              INTEGER PRIMARY KEY,
  ts              INTEGER NOT NULL,
  span_ms         INTEGER NOT NULL,
  cpu_share       REAL NOT NULL,
  rss_bytes       INTEGER NOT NULL,
  disk_free_bytes INTEGER NOT NULL,
  flash_bytes     INTEGER,
  loop_lag_p99_ms REAL NOT NULL,
  sync_lag_s      REAL
) STRICT;
`,
  },
  {
    version: 14,
    name: 'health-alert-reported',
    sql: `
-- 已上报: who marked an outbreak signal as reported to the CDC and the education bureau, when, and
-- how many cases it had then (a cluster that grows after the report shows its new cases).
-- reported_by is the audit actor (user:<name>); reported_by_name what the kiosk shows.
ALTER TABLE health_alerts ADD COLUMN reported_at INTEGER;
ALTER TABLE health_alerts ADD COLUMN reported_by TEXT;
ALTER TABLE health_alerts ADD COLUMN reported_by_name TEXT;
ALTER TABLE health_alerts ADD COLUMN reported_cases INTEGER;
-- A signal whose cluster grows, or that is marked reported, goes to the district again under its id
-- (as an environment alert does when it ends). Not on the erasure's own update of the pseudonyms.
-- Who reported it stays on the appliance (the audit log); the district gets when.
CREATE TRIGGER outbox_health_alerts_update AFTER UPDATE OF cases, last_day, reported_at ON health_alerts
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-alerts', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'class', NEW.class_id, 'rule', NEW.rule, 'category', NEW.category, 'firstDay', NEW.first_day, 'lastDay', NEW.last_day, 'cases', NEW.cases, 'raisedAt', NEW.raised_at, 'pseudonyms', json(NEW.pseudonyms), 'reportedAt', NEW.reported_at, 'reportedCases', NEW.reported_cases, 'day', NEW.last_day) FROM sync_seq WHERE stream = 'health-alerts';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-alerts';
END;
`,
  },
  {
    version: 15,
    name: 'lesson-questioning',
    sql: `
-- Questioning and classroom modes (docs/interaction-analysis.md): the lesson's wait times, episodes
-- and mode shares as one JSON object (counts, durations and distributions only); each interval's
-- mode (DART: one voice, several, none). teacher: the username of the teacher whose lesson it was
-- (who started or ended it, or logged in on the panel during it), for their own trends; it stays on
-- the appliance: the district gets no teacher's name with a lesson.
ALTER TABLE lessons ADD COLUMN questioning TEXT;
ALTER TABLE lessons ADD COLUMN teacher TEXT;
CREATE INDEX lessons_teacher ON lessons (teacher, started_at) WHERE teacher IS NOT NULL;
ALTER TABLE lesson_samples ADD COLUMN voice TEXT CHECK (voice IN ('single', 'multiple', 'none'));
DROP TRIGGER outbox_lessons_ended;
CREATE TRIGGER outbox_lessons_ended AFTER UPDATE OF ended_at ON lessons
WHEN OLD.ended_at IS NULL AND NEW.ended_at IS NOT NULL
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'lessons', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_object('id', NEW.id, 'day', NEW.day, 'startedAt', NEW.started_at, 'endedAt', NEW.ended_at, 'source', NEW.source, 'sampleIntervalS', NEW.sample_interval_s, 'codes', NEW.codes, 'teacherTalkS', NEW.teacher_talk_s, 'studentTalkS', NEW.student_talk_s, 'turns', NEW.turns, 'rt', NEW.rt, 'ch', NEW.ch, 'mode', NEW.mode, 'headUpMean', NEW.head_up_mean, 'framesAnalysed', NEW.frames_analysed, 'framesDropped', NEW.frames_dropped, 'headUp', (SELECT json_group_array(head_up) FROM (SELECT head_up FROM lesson_samples WHERE lesson_id = NEW.id ORDER BY idx)), 'questioning', json(NEW.questioning), 'voices', (SELECT json_group_array(voice) FROM (SELECT voice FROM lesson_samples WHERE lesson_id = NEW.id ORDER BY idx))) FROM sync_seq WHERE stream = 'lessons';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'lessons';
END;
`,
  },
  {
    version: 16,
    name: 'health-day-reports',
    sql: `
-- The class's daily health report to the district (WS/T 772-2020: the morning check's completion,
-- fever, symptoms, absence for illness; a day with no case is reported as zero, not left out).
-- Counts only: no pseudonym, so it goes without the guardians' consent, as outbreak signals do.
-- Made at health.districtReportTimes on each day the class's check ran; the district keeps the
-- latest of a class-day.
CREATE TABLE health_day_reports (
  id       INTEGER PRIMARY KEY,
  class_id TEXT NOT NULL,
  day      TEXT NOT NULL,
  made_at  INTEGER NOT NULL,
  payload  TEXT NOT NULL
) STRICT;
CREATE INDEX health_day_reports_day ON health_day_reports (day);
INSERT INTO sync_seq (stream, next) VALUES ('health-days', 1);
CREATE TRIGGER outbox_health_day_reports AFTER INSERT ON health_day_reports
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'health-days', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_set(json(NEW.payload), '$.class', NEW.class_id, '$.day', NEW.day, '$.madeAt', NEW.made_at) FROM sync_seq WHERE stream = 'health-days';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'health-days';
END;
`,
  },
  {
    version: 17,
    name: 'env-day-summaries',
    sql: `
-- The room's exposure during the day's lessons, for the district's environment page
-- (edge/environment/lesson-exposure.ts): per metric the lesson minutes passed, those with data,
-- those over the limit, mean and max. Made after each lesson ends and at a start after a lesson;
-- the row of a day is replaced by the newer figures, and each version goes to the district
-- (stream env-days), which keeps the latest madeAt of an appliance's day. No personal data.
CREATE TABLE env_day_summaries (
  day     TEXT PRIMARY KEY,
  made_at INTEGER NOT NULL,
  payload TEXT NOT NULL
) STRICT;
INSERT INTO sync_seq (stream, next) VALUES ('env-days', 1);
CREATE TRIGGER outbox_env_day_summaries_insert AFTER INSERT ON env_day_summaries
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'env-days', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_set(json(NEW.payload), '$.day', NEW.day, '$.madeAt', NEW.made_at) FROM sync_seq WHERE stream = 'env-days';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'env-days';
END;
CREATE TRIGGER outbox_env_day_summaries_update AFTER UPDATE ON env_day_summaries
BEGIN
  INSERT INTO outbox (stream, seq, created_at, payload) SELECT 'env-days', next, CAST(unixepoch('subsec') * 1000 AS INTEGER), json_set(json(NEW.payload), '$.day', NEW.day, '$.madeAt', NEW.made_at) FROM sync_seq WHERE stream = 'env-days';
  UPDATE sync_seq SET next = next + 1 WHERE stream = 'env-days';
END;
`,
  },
];
