import { Type, type Static, type TInteger } from '@sinclair/typebox';
import { StringEnum } from './string-enum.js';
import { EnvironmentSchema } from '../environment/rules.js';
import { TimetableSchema } from './timetable.js';
import { HealthSchema } from '../health/config.js';
import { SyncSchema } from '../sync/config.js';
import { AnalysisSchema } from '../analysis/config.js';
import { RoomSchema } from '../room/config.js';
import { componentConfigSchemas } from '../runtime/component-kinds.js';
import { WebSocketSchema } from '../api/websocket-config.js';

/**
 * The one configuration schema. Defaults live here and nowhere else: the loader fills them in,
 * docs/settings.md is generated from this file, and the admin console builds its form from it.
 */

export { StringEnum };

const Port = (def: number, description: string): TInteger =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description });

/** Where the box stands, set by `classedge provision`; shown to IT staff and the district. */
const Label = (description: string) => Type.String({ maxLength: 100, default: '', description });
export const ClassroomSchema = Type.Object(
  {
    district: Label('Education district, e.g. "海淀区".'),
    school: Label('School, e.g. "实验小学".'),
    grade: Label('Grade, e.g. "初二".'),
    class: Label('Class, e.g. "3班".'),
    room: Label('Room, e.g. "A-203".'),
  },
  { additionalProperties: false, default: {} },
);

export const ApplianceSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      default: 'classedge-unprovisioned',
      description:
        'Stable identity of this classroom appliance, used in MQTT topics and by the district. Lower-case letters, digits and dashes.',
    }),
    name: Type.String({
      minLength: 1,
      maxLength: 100,
      default: 'Classroom',
      description: 'Name shown to people, e.g. "初二(3)班".',
    }),
    timezone: Type.String({ minLength: 1, default: 'Asia/Shanghai', description: 'IANA time zone of the school.' }),
    classroom: ClassroomSchema,
  },
  { additionalProperties: false, default: {} },
);

export const HttpSchema = Type.Object(
  {
    host: Type.String({
      default: '0.0.0.0',
      description:
        'Address the HTTP and WebSocket server listens on (the HTTPS listener when http.tls is on; plain HTTP then binds 127.0.0.1 unless http.plaintextLan).',
    }),
    port: Port(
      8080,
      "Plain HTTP port for the API, the live WebSocket and the kiosk; on 127.0.0.1 only once http.tls is on (the panel's own browser). Env: CLASSEDGE_HTTP_PORT.",
    ),
    plaintextLan: Type.Boolean({
      default: false,
      description:
        'With http.tls on, also serve plain HTTP on http.host instead of 127.0.0.1 only: the administrator accepts passwords and session cookies in clear text on the LAN (e.g. TLS ends at a proxy elsewhere). `classedge doctor` warns while any plain listener is off loopback.',
    }),
    maxBodyBytes: Type.Integer({
      minimum: 1024,
      maximum: 16777216,
      default: 1048576,
      description: 'Largest accepted request body.',
    }),
    allowedHosts: Type.Array(Type.String({ minLength: 1, maxLength: 253, pattern: '^[A-Za-z0-9.-]+$' }), {
      maxItems: 32,
      default: [],
      description:
        "Host names (besides IP literals, localhost, this machine's host name, <host name>.local and <appliance.id>.local) the API answers to; any other Host header is refused (421), so a web page on the LAN cannot reach the API by DNS rebinding.",
    }),
    publicAddress: Type.String({
      maxLength: 300,
      pattern: '^(|https?://[A-Za-z0-9.:\\[\\]-]+/?|[A-Za-z0-9.:\\[\\]-]+)$',
      default: '',
      description:
        "The name or address (or whole origin, e.g. https://a203.school.local:8443) that phones and partner classrooms on the school network use to reach this box: the remote lesson's join link and QR code. Empty: the address the page was opened by when it is not loopback, else every LAN address of the box.",
    }),
    tls: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve HTTPS (API, admin console, kiosk, WebSockets) on http.host at http.tls.port, and plain HTTP on 127.0.0.1 only. Needs certFile and keyFile; `classedge provision` and `classedge tls generate --enable` make a self-signed pair.',
        }),
        port: Port(
          8443,
          'HTTPS port (with http.tls on) for the admin console, the kiosk and the WebSockets over the LAN. Env: CLASSEDGE_HTTPS_PORT.',
        ),
        certFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              'PEM certificate (chain) for HTTPS: the district-issued one, or <dataDir>/tls/cert.pem from `classedge tls generate`.',
          }),
        ),
        keyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'PEM private key of certFile; readable by the service user only (mode 0600).',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    webSocket: WebSocketSchema,
  },
  { additionalProperties: false, default: {} },
);

export const MqttSchema = Type.Object(
  {
    host: Type.String({
      default: '0.0.0.0',
      description:
        'Address the embedded MQTT broker listens on (the MQTT-over-TLS listener when mqtt.tls is on; plain MQTT then binds 127.0.0.1 unless mqtt.plaintextLan).',
    }),
    port: Port(
      1883,
      "Plain MQTT port; on 127.0.0.1 only once mqtt.tls is on (the appliance's own services and simulators). Env: CLASSEDGE_MQTT_PORT.",
    ),
    tls: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Serve MQTT over TLS on mqtt.host at mqtt.tls.port for devices (same credentials), and plain MQTT on 127.0.0.1 only. `classedge provision` switches it on.',
        }),
        port: Port(8883, 'MQTT-over-TLS port for devices. Env: CLASSEDGE_MQTTS_PORT.'),
        certFile: Type.Optional(
          Type.String({
            minLength: 1,
            description:
              "PEM certificate (chain) devices pin; default: http.tls.certFile (the appliance's one certificate).",
          }),
        ),
        keyFile: Type.Optional(
          Type.String({
            minLength: 1,
            description: 'PEM private key of mqtt.tls.certFile; default: http.tls.keyFile.',
          }),
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    plaintextLan: Type.Boolean({
      default: false,
      description:
        'With mqtt.tls on, also serve plain MQTT on mqtt.host instead of 127.0.0.1 only, for devices that cannot do TLS: the administrator accepts device secrets in clear text on the LAN. `classedge doctor` warns while any plain listener is off loopback.',
    }),
    maxPayloadBytes: Type.Integer({
      minimum: 64,
      maximum: 1048576,
      default: 16384,
      description: 'Largest payload accepted on a device topic; larger messages are rejected and counted.',
    }),
    maxClockSkewMs: Type.Integer({
      minimum: 0,
      maximum: 86400000,
      default: 300000,
      description:
        "How far after the appliance's clock a device's reading time may be; readings before 2020-01-01 or later than this are refused with the accepted range.",
    }),
    maxConnections: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 500,
      description: 'Concurrent MQTT connections at most.',
    }),
    maxConnectionsPerSource: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 32,
      description:
        'Concurrent MQTT connections at most from one address (IPv6: one /64), logged in or not; more are closed at once.',
    }),
    maxPreAuthConnections: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 64,
      description:
        'Connections at most that have not logged in yet; a new one beyond it closes the oldest, so idle sockets cannot hold the door shut.',
    }),
    connectTimeoutMs: Type.Integer({
      minimum: 500,
      maximum: 60000,
      default: 5000,
      description:
        'A connection whose whole CONNECT has not arrived this long after it opened (nothing sent, half a CONNECT) is closed.',
    }),
    maxPreAuthPacketBytes: Type.Integer({
      minimum: 256,
      maximum: 1048576,
      default: 16384,
      description:
        'Largest MQTT packet before the client has logged in (its CONNECT included); a larger one closes the connection as soon as its header arrives.',
    }),
    maxInflightQos2: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 16,
      description:
        'QoS 2 messages a client may have sent and not yet released (PUBREL); one more closes the connection.',
    }),
    maxFailedLoginsPerSource: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 20,
      description:
        'Wrong secrets from one address per mqtt.failedLoginWindowMs; after that its logins are refused (CONNACK 3) without checking the secret until the window ends.',
    }),
    failedLoginWindowMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 60000,
      description: 'The window of mqtt.maxFailedLoginsPerSource, from the first failure.',
    }),
    auditDeniedPerSource: Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 5,
      description:
        'Refused MQTT logins (per address) and refused publishes (per device) written one by one to the audit log per mqtt.auditWindowMs; the rest are counted into one summary row.',
    }),
    auditDeniedTotal: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 30,
      description:
        'Refused MQTT logins and publishes written one by one to the audit log per mqtt.auditWindowMs from all sources together; the rest are counted into one summary row.',
    }),
    auditWindowMs: Type.Integer({
      minimum: 1000,
      maximum: 3600000,
      default: 60000,
      description:
        'The window of mqtt.auditDeniedPerSource and mqtt.auditDeniedTotal; the summary of what was not written one by one is written when it ends.',
    }),
    maxTrackedKeys: Type.Integer({
      minimum: 16,
      maximum: 1000000,
      default: 4096,
      description:
        "Entries at most in each of the broker's tables keyed by address or device (login cache, log and audit rate limits); the oldest is forgotten first.",
    }),
  },
  { additionalProperties: false, default: {} },
);

export const StoreSchema = Type.Object(
  {
    synchronous: StringEnum(['FULL', 'NORMAL'] as const, {
      default: 'FULL',
      description:
        'SQLite durability. FULL survives a power cut for every acknowledged reading; NORMAL survives a process crash only.',
    }),
    groupCommitMaxDelayMs: Type.Integer({
      minimum: 0,
      maximum: 10000,
      default: 5000,
      description:
        'Longest an acknowledged reading (MQTT QoS 1) waits for the journal sync it shares with others; its PUBACK waits for that sync. Readings filling a 4 KB flash page are synced at once, so this bound only applies at low rates. Clients that retransmit unacknowledged messages after 1 s (ESP-MQTT) send duplicates when it is longer; the broker recognises them (docs/storage.md).',
    }),
    groupCommitMaxRows: Type.Integer({
      minimum: 1,
      maximum: 100000,
      default: 5000,
      description: 'Acknowledged rows waiting for a sync at most; more are synced at once.',
    }),
    polledSyncMaxMs: Type.Integer({
      minimum: 0,
      maximum: 600000,
      default: 60000,
      description:
        'Longest a reading nobody waits for (a Modbus poll, MQTT QoS 0) stays unsynced: what a power cut can lose of them. A crash of the process loses none.',
    }),
    applyIntervalMs: Type.Integer({
      minimum: 100,
      maximum: 3600000,
      default: 300000,
      description:
        'How often the journaled readings go into the database in one transaction. Longer writes fewer flash pages per reading; readers that need the newest readings (sync, backup, the readings API) apply first.',
    }),
    journalSegmentKb: Type.Integer({
      minimum: 64,
      maximum: 65536,
      default: 4096,
      description:
        "Size of each of the readings journal's two segments, written in full at the first start. What the journal can hold while the database cannot take readings (a full disk): about 7 000 sensor messages per MB.",
    }),
    applyMaxRows: Type.Integer({
      minimum: 100,
      maximum: 1000000,
      default: 20000,
      description: 'Journaled readings held for the database at most (memory bound); more go in at once.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const RetentionSchema = Type.Object(
  {
    readingsDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 90,
      description: 'Days sensor readings are kept on the appliance.',
    }),
    auditDays: Type.Integer({
      minimum: 180,
      maximum: 3650,
      default: 365,
      description: 'Days audit records are kept. At least 180 (Cybersecurity Law art. 21: logs kept six months).',
    }),
    sessionsDays: Type.Integer({
      minimum: 1,
      maximum: 365,
      default: 7,
      description: 'Days ended login sessions are kept.',
    }),
    healthDays: Type.Integer({
      minimum: 30,
      maximum: 3650,
      default: 365,
      description:
        "Days morning-check and absence records are kept (minors' health data: only as long as the school needs them). Never dropped for space.",
    }),
    lessonsDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 365,
      description: 'Days per-lesson interaction figures are kept on the appliance.',
    }),
    jobIntervalMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 60,
      description: 'How often the retention job runs.',
    }),
    clockCheckSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 60,
      description:
        'How often the retention job compares the wall clock with the monotonic clock, to notice a clock set forward or back (bad RTC, unauthenticated NTP) and record it in the audit log.',
    }),
    clockJumpToleranceMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 10,
      description:
        'How far the wall clock may move against the monotonic clock (or, after a restart, behind the last check or the newest audit record) before retention stops purging until the clock is back or an admin confirms it (classedge retention trust-clock).',
    }),
    clockMaxOffDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 100,
      description:
        "After a reboot, how far the wall clock may be ahead of the retention job's last check before retention stops purging until an admin confirms the time (a box off for longer, e.g. over the summer holiday, needs classedge retention trust-clock).",
    }),
  },
  { additionalProperties: false, default: {} },
);

export const DiskSchema = Type.Object(
  {
    checkSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 30,
      description:
        "How often the disk guard measures the free space of the data directory's disk (free blocks plus free pages inside the database).",
    }),
    lowFreeMb: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 1024,
      description:
        'Below this much free space (MB) the disk is low: diagnostic captures, old minute rollups and raw readings the district holds are deleted, oldest first, and the kiosk and doctor say so.',
    }),
    lowFreePercent: Type.Number({
      minimum: 0,
      maximum: 50,
      default: 5,
      description: 'The disk is also low below this share (%) of its size free.',
    }),
    criticalFreeMb: Type.Integer({
      minimum: 0,
      maximum: 1_000_000,
      default: 256,
      description:
        'Below this much free space (MB) the disk is critical: also every damaged-database copy is deleted; readings the district has not confirmed are still kept (new readings may then be refused and re-sent by their devices).',
    }),
    criticalFreePercent: Type.Number({
      minimum: 0,
      maximum: 50,
      default: 2,
      description: 'The disk is also critical below this share (%) of its size free.',
    }),
    shedRollupsOlderThanDays: Type.Integer({
      minimum: 1,
      maximum: 3650,
      default: 14,
      description:
        'Under disk pressure, minute rollups older than this are deleted first (the 24-hour and 7-day charts and the rolling averages need the newer ones).',
    }),
    shedReadingsOlderThanHours: Type.Integer({
      minimum: 1,
      maximum: 8760,
      default: 24,
      description:
        'Under disk pressure, raw readings older than this (and already in their minute rollups and confirmed by the district) are deleted next.',
    }),
    shedBatchRows: Type.Integer({
      minimum: 100,
      maximum: 100_000,
      default: 2000,
      description:
        'Rows deleted per transaction under disk pressure: small enough that the delete itself finds room in the write-ahead log.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const UpdateSchema = Type.Object(
  {
    channel: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,31}$',
      default: 'stable',
      description:
        'Release channel this appliance follows; an update bundle signed for another channel is refused (e.g. stable, pilot).',
    }),
    keepPreUpdateCopies: Type.Integer({
      minimum: 1,
      maximum: 5,
      default: 1,
      description:
        'Pre-update database copies (pre-update-<version>.db) kept after an update (at least the newest, which a rollback needs); none is kept longer than the shortest retention of the data it holds.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const AuthSchema = Type.Object(
  {
    adminSessionIdleMinutes: Type.Integer({
      minimum: 1,
      maximum: 240,
      default: 15,
      description: 'Admin sessions end after this much inactivity.',
    }),
    teacherSessionIdleMinutes: Type.Integer({
      minimum: 1,
      maximum: 720,
      default: 480,
      description: 'Teacher sessions end after this much inactivity.',
    }),
    adminSessionMaxMinutes: Type.Integer({
      minimum: 1,
      maximum: 10080,
      default: 720,
      description:
        'Admin sessions end this long after login however active they are (12 h): a stolen cookie does not live forever.',
    }),
    teacherSessionMaxMinutes: Type.Integer({
      minimum: 1,
      maximum: 10080,
      default: 960,
      description:
        'Teacher sessions end this long after login however active they are (16 h, longer than a school day).',
    }),
    maxFailedLogins: Type.Integer({
      minimum: 3,
      maximum: 20,
      default: 5,
      description:
        "Failed logins in a row before an account is locked. Counted apart for the kiosk's own browser (loopback) and for the LAN, so a device on the LAN cannot lock a teacher out of the classroom panel.",
    }),
    lockoutMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 15,
      description:
        'How long a locked account stays locked (an admin lifts it early by enabling the account or setting its secret).',
    }),
    sourceMaxFailedLogins: Type.Integer({
      minimum: 3,
      maximum: 1000,
      default: 20,
      description:
        'Login attempts one source address (an IPv6 /64 counts as one) may make across all accounts per sourceWindowMinutes; more get 429 with Retry-After. A successful login does not count.',
    }),
    sourceWindowMinutes: Type.Integer({
      minimum: 1,
      maximum: 1440,
      default: 15,
      description: 'The window of sourceMaxFailedLogins.',
    }),
    loginHashConcurrency: Type.Integer({
      minimum: 1,
      maximum: 16,
      default: 2,
      description:
        'Login secrets checked at once at most (each scrypt check takes 128 MiB and most of a core); others wait in loginQueueMax.',
    }),
    loginQueueMax: Type.Integer({
      minimum: 1,
      maximum: 10000,
      default: 64,
      description:
        'Logins waiting for a check at most; more are refused at once with 429, so a burst from many addresses cannot pile up.',
    }),
    sourcesTracked: Type.Integer({
      minimum: 16,
      maximum: 1000000,
      default: 4096,
      description:
        'Source addresses whose login attempts are remembered at most (bounded memory); the oldest window is forgotten first.',
    }),
    pinLength: Type.Integer({ minimum: 4, maximum: 8, default: 6, description: 'Digits in a teacher PIN.' }),
    passwordMinLength: Type.Integer({
      minimum: 8,
      maximum: 64,
      default: 10,
      description: 'Characters in an admin password at least (with three of: lower, upper, digit, symbol).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const LogSchema = Type.Object(
  {
    level: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
      default: 'info',
      description: 'Log level.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const KioskSchema = Type.Object(
  {
    idleLockSeconds: Type.Integer({
      minimum: 30,
      maximum: 3600,
      default: 300,
      description: 'The teacher panel returns home and locks after this much inactivity.',
    }),
    defaultLanguage: StringEnum(['zh-CN', 'en'] as const, {
      default: 'zh-CN',
      description: 'Language the panel starts in.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const MetricsSchema = Type.Object(
  {
    scrapeTokenSha256: Type.String({
      pattern: '^([0-9a-f]{64})?$',
      default: '',
      description:
        'SHA-256 (hex) of the bearer token a Prometheus on the network presents to GET /metrics; empty: /metrics answers loopback only. Make the token with `openssl rand -hex 32` (docs/metrics.md).',
    }),
    historyIntervalSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 300,
      description:
        'How often CPU, memory, disk free, flash writes, event-loop lag and sync lag are stored for the 系统状态 charts (one small row each time).',
    }),
    historyMaxRows: Type.Integer({
      minimum: 10,
      maximum: 100000,
      default: 2100,
      description: 'Rows of that history kept; the oldest go first (2100 rows at 5 minutes is a little over 7 days).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export const ConfigSchema = Type.Object(
  {
    appliance: ApplianceSchema,
    dataDir: Type.String({
      minLength: 1,
      default: '/var/lib/classedge',
      description: 'Directory for the database and keys. Env: CLASSEDGE_DATA_DIR.',
    }),
    http: HttpSchema,
    mqtt: MqttSchema,
    store: StoreSchema,
    retention: RetentionSchema,
    disk: DiskSchema,
    update: UpdateSchema,
    auth: AuthSchema,
    log: LogSchema,
    kiosk: KioskSchema,
    environment: EnvironmentSchema,
    timetable: TimetableSchema,
    room: RoomSchema,
    health: HealthSchema,
    sync: SyncSchema,
    analysis: AnalysisSchema,
    metrics: MetricsSchema,
    shutdownTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 5000,
      description: 'Longest a graceful shutdown may take before the process exits anyway.',
    }),
    components: Type.Array(componentConfigSchemas(), {
      default: [],
      description: 'Drivers, simulators, analysers and other components, each selected by its `type`.',
    }),
  },
  { additionalProperties: false, $id: 'https://classedge.org/schema/config.json', title: 'ClassEdge configuration' },
);

export type Config = Static<typeof ConfigSchema>;
