/** The district database: numbered migrations, applied in order in one transaction each. */
export const DISTRICT_MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE appliances (
  id          text PRIMARY KEY,
  public_key  text NOT NULL,
  school      text NOT NULL DEFAULT '',
  enrolled_at timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz
);
CREATE TABLE enrol_tokens (
  token_hash   text PRIMARY KEY,
  appliance_id text NOT NULL,
  school       text NOT NULL DEFAULT '',
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
-- Batch ids already applied: a replayed batch is refused by its id.
CREATE TABLE batches (
  appliance_id text NOT NULL REFERENCES appliances(id),
  batch_id     uuid NOT NULL,
  stream       text NOT NULL,
  first_seq    bigint NOT NULL,
  last_seq     bigint NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (appliance_id, batch_id)
);
CREATE TABLE stream_state (
  appliance_id  text NOT NULL REFERENCES appliances(id),
  stream        text NOT NULL,
  committed_seq bigint NOT NULL DEFAULT 0,
  updated_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (appliance_id, stream)
);
-- Every record of every appliance, partitioned by day (high-volume streams grow by millions a day);
-- (appliance, stream, seq) makes a commit idempotent.
CREATE TABLE records (
  appliance_id text NOT NULL,
  stream       text NOT NULL,
  seq          bigint NOT NULL,
  day          date NOT NULL,
  payload      jsonb NOT NULL,
  PRIMARY KEY (appliance_id, stream, seq, day)
) PARTITION BY RANGE (day);
CREATE TABLE records_default PARTITION OF records DEFAULT;
CREATE TABLE schema_version (version integer NOT NULL);
INSERT INTO schema_version VALUES (1);
`,
  },
  {
    version: 2,
    sql: `
-- The district's own signing key: configuration it publishes is signed with it. In the database,
-- so every receiver instance signs alike.
CREATE TABLE district_keys (
  id          integer PRIMARY KEY CHECK (id = 1),
  private_key text NOT NULL,
  public_key  text NOT NULL
);
-- Desired configuration per appliance (the twin): a version that only moves forward, signed.
CREATE TABLE desired_config (
  appliance_id text PRIMARY KEY REFERENCES appliances(id),
  version      integer NOT NULL,
  config       jsonb NOT NULL,
  signature    text NOT NULL,
  published_at timestamptz NOT NULL DEFAULT now()
);
-- What each appliance reported it applied (or why it refused).
CREATE TABLE applied_config (
  appliance_id text PRIMARY KEY REFERENCES appliances(id),
  version      integer NOT NULL,
  result       text NOT NULL,
  reported_at  timestamptz NOT NULL DEFAULT now()
);
`,
  },
  {
    version: 3,
    sql: `
-- Configuration can be published before a box is enrolled (a school's settings, then provisioning
-- day): the desired configuration of an id that so far only has an enrolment token.
ALTER TABLE desired_config DROP CONSTRAINT IF EXISTS desired_config_appliance_id_fkey;
`,
  },
  {
    version: 4,
    sql: `
-- A box restored from a backup (a replacement) says so, signed with the same key.
ALTER TABLE appliances ADD COLUMN restored_at timestamptz, ADD COLUMN restored_from text;
`,
  },
  {
    version: 5,
    sql: `
-- The district's private signing key (configuration, update bundles) moves out of the receiver's
-- reach: its own table, on which the receiver's role has no grant. The public key stays readable
-- (enrolment answers it).
CREATE TABLE district_signing_key (
  id          integer PRIMARY KEY CHECK (id = 1),
  private_key text NOT NULL
);
INSERT INTO district_signing_key (id, private_key) SELECT id, private_key FROM district_keys;
ALTER TABLE district_keys DROP COLUMN private_key;

-- A day's partition, made by its owner for whoever may call it: the receiver's role creates no
-- table itself. The day has passed the receiver's window check.
CREATE FUNCTION records_partition(d date) RETURNS void LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public, pg_temp AS $fn$
DECLARE
  name text := 'records_' || to_char(d, 'YYYYMMDD');
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(name));
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = name) THEN RETURN; END IF;
  -- A day already holding rows in the default partition keeps them there.
  IF EXISTS (SELECT 1 FROM records_default WHERE day = d LIMIT 1) THEN RETURN; END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF records FOR VALUES FROM (%L) TO (%L)', name, d, d + 1);
END
$fn$;
REVOKE ALL ON FUNCTION records_partition(date) FROM PUBLIC;

-- What the internet-facing receiver may do, and nothing more: a login for \`serve\` is made a
-- member of this role (docs/district.md). Roles belong to the cluster, so it may exist already.
DO $do$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'classedge_receiver') THEN
    CREATE ROLE classedge_receiver NOLOGIN;
  END IF;
END $do$;
GRANT SELECT, INSERT, UPDATE ON appliances, enrol_tokens, batches, stream_state, records, applied_config
  TO classedge_receiver;
GRANT SELECT ON district_keys, desired_config, schema_version TO classedge_receiver;
GRANT EXECUTE ON FUNCTION records_partition(date) TO classedge_receiver;
`,
  },
  {
    version: 6,
    sql: `
-- The district's key changes only through a message signed by the old key; its answers carry
-- these messages, oldest first, so an appliance that pinned any earlier key can follow.
CREATE TABLE district_key_rotations (
  id         serial PRIMARY KEY,
  message    jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
-- The key the receiver signs its answers with, and its certificate (its public key signed by the
-- district key): the receiver needs this one, never the district key itself.
CREATE TABLE district_answer_key (
  id          integer PRIMARY KEY CHECK (id = 1),
  private_key text NOT NULL,
  public_key  text NOT NULL,
  certificate jsonb NOT NULL
);
-- The receiver's role, where the database has one, reads both.
DO $do$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'classedge_receiver') THEN
    GRANT SELECT ON district_key_rotations, district_answer_key TO classedge_receiver;
  END IF;
END $do$;
`,
  },
  {
    version: 7,
    sql: `
-- Erasure (classedge student erase on an appliance) deletes that student's records of that appliance
-- (cloud-sync/server/erasure.ts): the receiver's role may delete records, as it may already update them.
DO $do$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'classedge_receiver') THEN
    GRANT DELETE ON records TO classedge_receiver;
  END IF;
END $do$;
`,
  },
  {
    version: 8,
    sql: `
-- The fleet (docs/district-console.md): each appliance's last heartbeat, and a history of them kept
-- at most hourly and whenever the version or a component's state changes (a compact summary of
-- each: fleet-store.ts HistoryEntry). appliance_id leads every
-- key, as in records: the distribution column if these tables move to a distributed PostgreSQL.
CREATE TABLE appliance_status (
  appliance_id text PRIMARY KEY REFERENCES appliances(id),
  received_at  timestamptz NOT NULL,
  sent_at      timestamptz NOT NULL,
  version      text NOT NULL,
  status       jsonb NOT NULL
);
CREATE TABLE appliance_status_history (
  appliance_id text NOT NULL REFERENCES appliances(id),
  received_at  timestamptz NOT NULL,
  status       jsonb NOT NULL,
  PRIMARY KEY (appliance_id, received_at)
);
DO $do$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'classedge_receiver') THEN
    GRANT SELECT, INSERT, UPDATE ON appliance_status TO classedge_receiver;
    GRANT SELECT, INSERT, DELETE ON appliance_status_history TO classedge_receiver;
  END IF;
END $do$;
`,
  },
  {
    version: 9,
    sql: `
-- The district console's own accounts (docs/district-console.md): a role and, for school roles,
-- the school ('' = every school). failed_logins counts attempts taken before their hash is checked,
-- so that parallel guesses cannot pass the lock (a PIN lock once gave way to them on the appliance).
CREATE TABLE console_users (
  username      text PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('district-it', 'school-it', 'health', 'research', 'environment')),
  school        text NOT NULL DEFAULT '',
  secret_hash   text NOT NULL,
  failed_logins integer NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE console_sessions (
  token_hash text PRIMARY KEY,
  username   text NOT NULL REFERENCES console_users(username) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
-- Who did what in the console: logins, and every read of health data.
CREATE TABLE console_audit (
  id       bigserial PRIMARY KEY,
  at       timestamptz NOT NULL DEFAULT now(),
  username text NOT NULL,
  action   text NOT NULL,
  target   text NOT NULL DEFAULT '',
  result   text NOT NULL
);
`,
  },
  {
    version: 10,
    sql: `
-- Fleet updates (docs/fleet-updates.md). A bundle is stored once, named by the SHA-256 of its bytes,
-- in the database (bytea): the receivers are stateless and share nothing but PostgreSQL, so every
-- instance can serve any range of it. EXTERNAL storage: not compressed (a tar.gz does not shrink),
-- so substring() reads only the TOAST chunks of the range asked for.
CREATE TABLE update_bundles (
  sha256     text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  version    text NOT NULL,
  size       bigint NOT NULL CHECK (size > 0),
  manifest   jsonb NOT NULL,
  bytes      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE update_bundles ALTER COLUMN bytes SET STORAGE EXTERNAL;
-- Appliances flagged for the pilot ring.
CREATE TABLE rollout_pilots (
  appliance_id text PRIMARY KEY REFERENCES appliances(id),
  added_at     timestamptz NOT NULL DEFAULT now()
);
-- A rollout: one bundle to one ring (pilot, a school, all, or a list of appliances), installed only
-- in its window (local time on each appliance; null: any time outside lessons), halted by itself
-- when (rolled-back + failed) / reported passes max_failure_share.
CREATE TABLE rollouts (
  id                serial PRIMARY KEY,
  bundle_sha256     text NOT NULL REFERENCES update_bundles(sha256),
  ring_kind         text NOT NULL CHECK (ring_kind IN ('pilot', 'school', 'all', 'list')),
  ring_school       text,
  ring_ids          text[],
  window_from       text,
  window_to         text,
  max_failure_share double precision NOT NULL CHECK (max_failure_share >= 0 AND max_failure_share <= 1),
  state             text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'halted', 'done')),
  state_reason      text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL DEFAULT now(),
  changed_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rollouts_active ON rollouts (id) WHERE state = 'active';
-- Each appliance's outcome of each rollout it was offered; appliance_id leads the key.
CREATE TABLE rollout_outcomes (
  appliance_id text NOT NULL REFERENCES appliances(id),
  rollout_id   integer NOT NULL REFERENCES rollouts(id),
  state        text NOT NULL CHECK (state IN ('offered', 'downloading', 'installing', 'installed', 'rolled-back', 'failed')),
  version      text NOT NULL DEFAULT '',
  detail       text NOT NULL DEFAULT '',
  changed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (appliance_id, rollout_id)
);
CREATE INDEX rollout_outcomes_by_rollout ON rollout_outcomes (rollout_id, state);
DO $do$ BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'classedge_receiver') THEN
    GRANT SELECT ON update_bundles, rollout_pilots TO classedge_receiver;
    GRANT SELECT, UPDATE ON rollouts TO classedge_receiver;
    GRANT SELECT, INSERT, UPDATE ON rollout_outcomes TO classedge_receiver;
  END IF;
END $do$;
`,
  },
  {
    version: 11,
    sql: `
-- A school doctor's or CDC's acknowledgement of an outbreak signal, and the notes after it (the
-- first note of a signal is its acknowledgement). signal_id is the appliance's own id of the signal.
CREATE TABLE console_signal_notes (
  id           bigserial,
  appliance_id text NOT NULL REFERENCES appliances(id),
  signal_id    text NOT NULL,
  username     text NOT NULL,
  at           timestamptz NOT NULL DEFAULT now(),
  note         text NOT NULL,
  PRIMARY KEY (appliance_id, signal_id, id)
);
`,
  },
  {
    version: 12,
    sql: `
-- What the console's fleet page filters and counts by, kept beside each appliance's last status so
-- that a page of 50 000 appliances counts narrow columns instead of reading every status's JSON
-- (docs/district.md, "Sizing"). Generated from the status, so no writer can let them disagree; the
-- functions are IMMUTABLE (they read only their argument), as a generated column requires.
CREATE FUNCTION classedge_status_problems(s jsonb) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT count(*)::integer FROM jsonb_array_elements(
    CASE WHEN jsonb_typeof(s->'components') = 'array' THEN s->'components' ELSE '[]'::jsonb END) c
  WHERE c->>'state' IN ('degraded', 'failed')
$f$;
CREATE FUNCTION classedge_status_quarantined(s jsonb) RETURNS bigint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT coalesce(sum((v->>'quarantined')::numeric), 0)::bigint FROM jsonb_each(
    CASE WHEN jsonb_typeof(s->'streams') = 'object' THEN s->'streams' ELSE '{}'::jsonb END) e(k, v)
  WHERE jsonb_typeof(v->'quarantined') = 'number'
$f$;
-- The words the fleet search matches besides the id and school: the place the box gives and its version.
CREATE FUNCTION classedge_status_words(s jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
  SELECT lower(concat_ws(' ', s#>>'{place,name}', concat(s#>>'{place,grade}', s#>>'{place,class}'),
    s#>>'{place,room}', s->>'version'))
$f$;
ALTER TABLE appliance_status
  ADD COLUMN problems integer GENERATED ALWAYS AS (classedge_status_problems(status)) STORED,
  ADD COLUMN quarantined bigint GENERATED ALWAYS AS (classedge_status_quarantined(status)) STORED,
  ADD COLUMN words text GENERATED ALWAYS AS (classedge_status_words(status)) STORED;
`,
  },
  {
    version: 13,
    sql: `
-- The console reads the small streams (daily health and environment reports, lessons, signals) by
-- stream and day across appliances. records' key starts with the appliance, so without this each
-- such read scanned every day's partition whole, readings included (10^8 rows a night at 5 000
-- classrooms). Readings are left out: they are most of the rows and are read per appliance.
CREATE INDEX records_stream_day ON records (stream, day) WHERE stream <> 'readings';
`,
  },
];
