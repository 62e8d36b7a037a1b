import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parseConfig } from '../../edge/config/load.js';
import { Store } from '../../edge/store/store.js';
import { addUser } from '../../edge/services/accounts.js';
import { addDevice } from '../../edge/services/devices.js';
import { DEMO_MODBUS_SLAVES } from '../../edge/cli/demo.js';
import { openPtyPair, type PtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ModbusSlaveSim } from '../../firmware-bridge/sim/modbus-slave-sim.js';
import { ThermometerSim } from '../../firmware-bridge/sim/thermometer-sim.js';
import { composeScene } from '../../firmware-bridge/sim/face-scenes.js';
import { demoLesson } from '../../edge/cli/demo.js';
import { rosterCsv, withConsent } from '../helpers/roster.js';
import { launchChromium } from '../helpers/browser.js';
import type { Browser, Page } from 'playwright-core';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { FaultProxy } from '../helpers/fault-proxy.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, ROOT, freePort, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import type { SoakEvent } from './schedule.js';
import { RemoteClassrooms } from './remote-lesson.js';
import { atClassroomPriority, descendants, harnessIsFarSide } from './priority.js';
import { comm, procSample } from './proc.js';
import { steppableClockEnv } from '../helpers/steppable-clock.js';

export const APPLIANCE_ID = 'soak-room';
export const ADMIN = { username: 'it-admin', password: 'Str0ng-Passw0rd!' };
export const TEACHER = { username: 'li', pin: '482916' };
export const STUDENTS = 40;
/** A camera frame every 5 s during a lesson, with the whole class in it. */
export const FRAME_PERIOD_MS = 5000;
export const CAMERA_ID = 'cam-01';
export const MQTT_DEVICES = 30;
/** One reading per device every 10 s, as a classroom's Wi-Fi sensors send them. */
export const MQTT_PERIOD_MS = 10_000;
const MODBUS_POLL_MS = 2000;
/** The small disk (tmpfs) the data directory lives on when the calendar fills it, and its low mark. */
const DISK_MB = 256;
const DISK_LOW_MB = 48;
const DISTRICT = join(ROOT, 'bin', 'classedge-district.js');

/** A reading whose PUBACK arrived: the appliance promised to keep it. */
export interface AckedReading {
  device: string;
  ts: number;
  metric: string;
}

export interface Sample {
  at: number;
  pid: number;
  rssKb: number;
  /** utime + stime of `pid`, in clock ticks. */
  cpuTicks: number;
  /**
   * Time the main thread spent runnable but waiting for a core (ns, /proc/<pid>/schedstat's second
   * field): on a machine shared with the harness's own load this is where event-loop lag comes from
   * when the appliance itself is not busy.
   */
  runWaitNs?: number;
  /** The appliance's event-loop lag p99 (ms) as it reports it, when it does. */
  loopLagMs?: number;
  /** Time for GET /api/v1/health to answer (ms): the loop-lag stand-in while the appliance has no /metrics. */
  probeMs?: number;
}

export interface DayFigures {
  day: string;
  wallMs: number;
  /** Share of two cores the appliance used over the day (0..1). */
  cpuShare: number;
  rssMb: number;
  rssMaxMb: number;
  /** Share of the day's wall time the main thread was runnable but waiting for a core. */
  runWaitShare: number | null;
  /** Mean RSS in the evening (after the nightly sync), of the process running at the day's end. */
  rssEveningMb: number | null;
  eveningPid: number | null;
  loopLagMsP99: number | null;
  probeMsP99: number | null;
  /** Whether the kiosk page still showed something at the day's end (when the kiosk is open). */
  kioskAlive?: boolean;
  events: { do: SoakEvent; ok: boolean; ms: number; detail?: string }[];
}

/** The appliance as a real `classedge start` process (under libfaketime, so that its clock can be stepped). */
interface Proc {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: string[];
}

/** /proc's clock ticks per second: USER_HZ, fixed at 100 in Linux's ABI on every architecture it runs on here. */
export const CLK_TCK = 100;

export function p99(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.99 * s.length) - 1)] as number;
}

/**
 * The whole classroom around one appliance process: PostgreSQL and the district receiver behind a
 * fault proxy, six Modbus sensors on a socat cable, thirty MQTT devices, and the schedule's events.
 */
export class Soak {
  readonly dir = tempDir('classedge-soak-');
  readonly log: (line: string) => void;
  readonly acked: AckedReading[] = [];
  readonly samples: Sample[] = [];
  /** Readings sent and not (yet) acknowledged when the run ended: not promised, may or may not be stored. */
  sentNotAcked = 0;
  pg: TestPostgres | undefined;
  receiver: ChildProcess | undefined;
  districtPort = 0;
  proxy: FaultProxy | undefined;
  proxyPort = 0;
  app: Proc | undefined;
  appPid = 0;
  httpPort = 0;
  mqttPort = 0;
  api: ApiClient | undefined;
  pty: PtyPair | undefined;
  modbus: ModbusSlaveSim | undefined;
  readonly devices: { id: string; username: string; password: string; client?: MqttClient }[] = [];
  doorPty: PtyPair | undefined;
  thermometer: ThermometerSim | undefined;
  teacher: ApiClient | undefined;
  camera: { username: string; password: string; client?: MqttClient } | undefined;
  frames: Buffer[] = [];
  lessonWav = '';
  students: number[] = [];
  /** Health checks the appliance answered 201 for (their ids). */
  readonly checks: number[] = [];
  /** Lessons the appliance answered as ended (their ids). */
  readonly lessons: number[] = [];
  framesSent = 0;
  browser: Browser | undefined;
  kiosk: Page | undefined;
  /** Uncaught errors in the kiosk page and renderer crashes, over the run. */
  kioskErrors: string[] = [];
  /** Thermometer readings taken again after a 504 (the teacher presses again). */
  measureRetries = 0;
  #timers = new Set<NodeJS.Timeout>();
  #chromiumPids: number[] = [];
  #stopping = false;
  readonly configFile = join(this.dir.path, 'config.yaml');
  readonly dataDir = join(this.dir.path, 'data');
  readonly ptyDir = join(this.dir.path, 'pty');
  readonly offsetFile = join(this.dir.path, 'faketime-offset');
  readonly doorDir = join(this.dir.path, 'pty-door');
  kills = 0;

  readonly withKiosk: boolean;
  /** The remote lesson's partner classrooms and viewers, when the calendar has remote lessons. */
  readonly remote: RemoteClassrooms | undefined;
  /** The data directory on its own size-limited file system (tmpfs), when the calendar fills the disk. */
  readonly smallDisk: boolean;
  #mounted = false;

  constructor(o: { log?: (line: string) => void; kiosk?: boolean; remote?: boolean; smallDisk?: boolean } = {}) {
    this.log = o.log ?? ((line) => process.stderr.write(`soak: ${line}\n`));
    this.withKiosk = o.kiosk ?? true;
    this.remote = o.remote ? new RemoteClassrooms(this.dataDir, TEACHER) : undefined;
    this.smallDisk = o.smallDisk ?? false;
  }

  configText(): string {
    const devices = DEMO_MODBUS_SLAVES.map((s) => `      - { address: ${s.address}, profile: ${s.profile} }`).join(
      '\n',
    );
    return [
      `dataDir: ${JSON.stringify(this.dataDir)}`,
      `appliance: { id: ${APPLIANCE_ID} }`,
      'http: { host: 127.0.0.1 }',
      'mqtt: { host: 127.0.0.1 }',
      'log: { level: warn }',
      // The night window never opens by itself (from = to): the schedule's 'nightly-sync' asks for it, compressed.
      "sync: { allowPlainHttp: true, intervalMs: 1000, retryMaxMs: 5000, timeoutMs: 20000, bulkWindow: { from: '03:00', to: '03:00' } }",
      // Lessons are started and ended by the harness (the compressed timetable), never by the clock.
      'timetable: { lessons: [] }',
      `analysis: { sampleIntervalS: 5, classSize: ${STUDENTS} }`,
      // On the soak's small disk: low below 48 MB free, critical below 16 MB, measured every 5 s.
      ...(this.smallDisk
        ? [
            `disk: { checkSeconds: 5, lowFreeMb: ${DISK_LOW_MB}, lowFreePercent: 0, criticalFreeMb: 16, criticalFreePercent: 0 }`,
          ]
        : []),
      "health: { remeasureAfterMinutes: 0, checkWindow: { from: '00:00', to: '23:59' } }",
      'components:',
      `  - { type: thermometer, name: door, port: ${JSON.stringify(join(this.doorDir, 'appliance'))} }`,
      ...(this.lessonWav
        ? [`  - { type: audio-file, name: mics, path: ${JSON.stringify(this.lessonWav)}, loop: true }`]
        : []),
      ...(this.remote ? this.remote.componentYaml() : []),
      '  - type: modbus-bus',
      '    name: modbus',
      `    port: ${JSON.stringify(join(this.ptyDir, 'appliance'))}`,
      `    pollIntervalMs: ${MODBUS_POLL_MS}`,
      '    devices:',
      devices,
      '',
    ].join('\n');
  }

  /** Whether the far side runs at a lower priority than the appliance and the kiosk (priority.ts). */
  farSideNiced = false;

  async setup(): Promise<void> {
    this.farSideNiced = harnessIsFarSide();
    mkdirSync(this.dataDir, { recursive: true });
    if (this.smallDisk) {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m`, 'tmpfs', this.dataDir]);
      this.#mounted = true;
    }
    mkdirSync(this.ptyDir, { recursive: true });
    mkdirSync(this.doorDir, { recursive: true });
    // The two-microphone lesson recording (cached beside the demo's) and three frames of a class of forty.
    const wav = demoLesson();
    await wav.ready;
    this.lessonWav = wav.path;
    for (let i = 0; i < 3; i++)
      this.frames.push(
        (
          await composeScene(4000 + i, {
            width: 1280,
            height: 720,
            minFace: 30,
            maxFace: 64,
            maxFaces: STUDENTS,
            exactly: true,
          })
        ).jpeg,
      );
    writeFileSync(this.configFile, this.configText());
    writeFileSync(this.offsetFile, '+0\n');
    this.pg = await startPostgres();
    this.districtPort = await freePort();
    await this.startReceiver();
    this.proxy = new FaultProxy({ host: '127.0.0.1', port: this.districtPort });
    this.proxyPort = await this.proxy.listen();
    await this.seed();
    await this.enrol();
    await this.plugSerial();
    this.doorPty = await openPtyPair(this.doorDir);
    this.thermometer = new ThermometerSim();
    await this.thermometer.listen(this.doorPty.b);
    this.httpPort = await freePort();
    this.mqttPort = await freePort();
    await this.startAppliance();
    await this.importRoster();
    await this.remote?.start(this.httpPort);
    this.startDevices();
    this.startCamera();
    if (this.withKiosk) await this.openKiosk();
    this.#every(5000, () => this.sample());
  }

  async seed(): Promise<void> {
    const config = parseConfig(this.configText(), this.configFile);
    const s = Store.open(config);
    try {
      await addUser(s, config, { username: ADMIN.username, role: 'admin', secret: ADMIN.password }, 'soak');
      await addUser(
        s,
        config,
        { username: TEACHER.username, displayName: '李老师', role: 'teacher', secret: TEACHER.pin },
        'soak',
      );
      const cam = await addDevice(s, { id: CAMERA_ID, kind: 'camera' }, 'soak');
      this.camera = { username: cam.mqtt.username, password: cam.mqtt.password };
      for (let i = 1; i <= MQTT_DEVICES; i++) {
        const id = `air-${String(i).padStart(2, '0')}`;
        const c = await addDevice(s, { id, kind: 'sensor' }, 'soak');
        this.devices.push({ id, username: c.mqtt.username, password: c.mqtt.password });
      }
    } finally {
      s.close();
    }
  }

  async enrol(): Promise<void> {
    const pgUrl = (this.pg as TestPostgres).url;
    const token = await run(process.execPath, [
      DISTRICT,
      'token',
      'create',
      '--appliance',
      APPLIANCE_ID,
      '--database',
      pgUrl,
    ]);
    if (token.code !== 0) throw new Error(`token create: ${token.err}`);
    const e = await run(process.execPath, [
      CLI,
      'enrol',
      '--district',
      `http://127.0.0.1:${this.proxyPort}`,
      '--token',
      token.out.trim(),
      '--config',
      this.configFile,
    ]);
    if (e.code !== 0) throw new Error(`enrol: ${e.err}${e.out}`);
  }

  async startReceiver(): Promise<void> {
    const child = spawn(
      process.execPath,
      [DISTRICT, 'serve', '--database', (this.pg as TestPostgres).url, '--port', String(this.districtPort)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => /listening/.test(d.toString()) && resolve());
      child.once('exit', (code) => reject(new Error(`district receiver exited ${code}: ${err}`)));
    });
    this.receiver = child;
  }

  async stopReceiver(): Promise<void> {
    const r = this.receiver;
    this.receiver = undefined;
    if (!r || r.exitCode !== null) return;
    const gone = new Promise((res) => r.once('exit', res));
    r.kill('SIGTERM');
    await gone;
  }

  /** The USB-RS485 adapter plugged in: a socat cable with the six sensors on its far end. */
  async plugSerial(): Promise<void> {
    this.pty = await openPtyPair(this.ptyDir);
    this.modbus = new ModbusSlaveSim({ path: this.pty.b, baudRate: 9600, slaves: [...DEMO_MODBUS_SLAVES] });
    await this.modbus.start();
  }

  async unplugSerial(): Promise<void> {
    await this.modbus?.stop();
    await this.pty?.close();
    this.modbus = undefined;
    this.pty = undefined;
  }

  async startAppliance(): Promise<void> {
    const child = spawn(process.execPath, [CLI, 'start', '-c', this.configFile], {
      env: {
        ...steppableClockEnv(this.offsetFile),
        CLASSEDGE_DATA_DIR: this.dataDir,
        CLASSEDGE_HTTP_PORT: String(this.httpPort),
        CLASSEDGE_MQTT_PORT: String(this.mqttPort),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group, so that a kill -9 reaches the media worker and ffmpeg with it.
      detached: true,
    });
    const stderr: string[] = [];
    child.stderr?.on('data', (d: Buffer) => {
      stderr.push(d.toString());
      if (stderr.length > 200) stderr.shift();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    this.app = { child, exited, stderr };
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`appliance exited ${child.exitCode}: ${stderr.join('')}`);
        try {
          const r = await fetch(`http://127.0.0.1:${this.httpPort}/api/v1/health`);
          return r.status === 200 || undefined;
        } catch {
          return undefined;
        }
      },
      'appliance health',
      120_000,
      200,
    );
    this.appPid = child.pid as number;
    // Started from the (niced) harness: the appliance and its media worker go back to nice 0. The
    // worker may start a moment later; #every re-applies it with each sample.
    if (this.farSideNiced) atClassroomPriority(this.appPid);
    this.api = new ApiClient(`http://127.0.0.1:${this.httpPort}`);
    await this.api.loginAdmin(ADMIN.username, ADMIN.password);
    this.teacher = new ApiClient(`http://127.0.0.1:${this.httpPort}`);
    await this.teacher.loginTeacher(TEACHER.username, TEACHER.pin);
  }

  /** kill -9 of the whole process group (node and what it started): a power cut, as far as the data dir knows. */
  async killAppliance(): Promise<void> {
    const app = this.app;
    if (!app || app.child.exitCode !== null) return;
    process.kill(-(app.child.pid as number), 'SIGKILL');
    await app.exited;
    this.kills++;
  }

  async restartAppliance(): Promise<void> {
    await this.killAppliance();
    await this.startAppliance();
  }

  async stopAppliance(): Promise<void> {
    const app = this.app;
    if (!app || app.child.exitCode !== null) return;
    process.kill(-(app.child.pid as number), 'SIGTERM');
    const t = setTimeout(() => process.kill(-(app.child.pid as number), 'SIGKILL'), 15_000);
    await app.exited;
    clearTimeout(t);
  }

  /** Thirty Wi-Fi sensors with their own credentials, a QoS 1 reading every 10 s each, reconnecting like firmware. */
  startDevices(): void {
    this.devices.forEach((d, i) => {
      const client = mqtt.connect(`mqtt://127.0.0.1:${this.mqttPort}`, {
        username: d.username,
        password: d.password,
        clientId: `${d.username}_soak`,
        reconnectPeriod: 2000,
        connectTimeout: 5000,
      });
      client.on('error', () => undefined);
      d.client = client;
      // Spread over the period, as thirty devices powered on at different times would be.
      const first = setTimeout(
        () => {
          this.#timers.delete(first);
          this.#every(MQTT_PERIOD_MS, () => this.publish(d));
          this.publish(d);
        },
        Math.floor((i * MQTT_PERIOD_MS) / this.devices.length),
      );
      this.#timers.add(first);
    });
  }

  publish(d: { id: string; client?: MqttClient }): void {
    const c = d.client;
    if (!c || this.#stopping) return;
    const ts = Date.now();
    const value = 400 + (ts % 600);
    this.sentNotAcked++;
    // Offline, mqtt.js keeps the message and sends it on reconnect, as device firmware with a small queue does.
    c.publish(
      `classedge/dev/${d.id}/reading`,
      JSON.stringify({ ts, metrics: { co2_ppm: value } }),
      { qos: 1 },
      (err) => {
        if (err) return;
        this.sentNotAcked--;
        this.acked.push({ device: d.id, ts, metric: 'co2_ppm' });
      },
    );
  }

  /**
   * The devices switched off: each may finish what is in flight for 10 s (a PUBACK that arrives still
   * counts), then its connection is dropped; what never got its PUBACK was never promised. (mqtt.js's
   * graceful end can wait forever for a message queued while it was reconnecting.)
   */
  async stopDevices(): Promise<void> {
    this.#stopping = true;
    await Promise.all(
      this.devices.map(
        (d) =>
          new Promise<void>((r) => {
            const c = d.client;
            if (!c) return r();
            const force = setTimeout(() => c.end(true, {}, () => r()), 10_000);
            c.end(false, {}, () => {
              clearTimeout(force);
              r();
            });
          }),
      ),
    );
  }

  #every(ms: number, fn: () => unknown): void {
    const t = setInterval(() => void Promise.resolve(fn()).catch(() => undefined), ms);
    this.#timers.add(t);
  }

  async sample(): Promise<void> {
    const pid = this.appPid;
    if (this.farSideNiced && pid) {
      atClassroomPriority(pid);
      for (const c of this.#chromiumPids) atClassroomPriority(c);
    }
    const p = pid ? procSample(pid) : undefined;
    if (!p) return;
    const s: Sample = { at: Date.now(), pid, ...p };
    const t0 = performance.now();
    try {
      const r = await fetch(`http://127.0.0.1:${this.httpPort}/api/v1/health`, { signal: AbortSignal.timeout(5000) });
      await r.arrayBuffer();
      s.probeMs = performance.now() - t0;
    } catch {
      /* down (a kill in progress): no probe this time */
    }
    const lag = await this.loopLagMs();
    if (lag !== undefined) s.loopLagMs = lag;
    this.samples.push(s);
  }

  /**
   * The appliance's own event-loop lag p99, from /metrics (loopback may scrape it without a token); when
   * it does not answer, the report falls back to the health probe's latency, named as such.
   */
  async loopLagMs(): Promise<number | undefined> {
    try {
      const r = await fetch(`http://127.0.0.1:${this.httpPort}/metrics`, {
        headers: this.api?.cookie ? { cookie: this.api.cookie } : {},
        signal: AbortSignal.timeout(5000),
      });
      if (r.status !== 200) return undefined;
      const text = await r.text();
      // The p99 of the event-loop delay since the previous scrape (edge/observability/metrics.ts).
      const m = /^classedge_event_loop_lag_seconds\{quantile="0\.99"\}\s+([0-9.eE+-]+)/m.exec(text);
      return m ? Number(m[1]) * 1000 : undefined;
    } catch {
      return undefined;
    }
  }

  /** Bulk streams now (the night window, compressed); the agent drains every stream in that round. */
  async nightlySync(): Promise<void> {
    const r = await (this.api as ApiClient).post('/api/v1/sync/now');
    if (r.status === 401) {
      await (this.api as ApiClient).loginAdmin(ADMIN.username, ADMIN.password);
      await (this.api as ApiClient).post('/api/v1/sync/now');
    } else if (r.status !== 200) throw new Error(`sync now: ${r.status} ${JSON.stringify(r.body)}`);
  }

  /** Every stream's backlog on the appliance (GET /api/v1/sync). */
  async backlog(): Promise<Record<string, number>> {
    let r = await (this.api as ApiClient).get('/api/v1/sync');
    if (r.status === 401) {
      await (this.api as ApiClient).loginAdmin(ADMIN.username, ADMIN.password);
      r = await (this.api as ApiClient).get('/api/v1/sync');
    }
    if (r.status !== 200) throw new Error(`sync status: ${r.status} ${JSON.stringify(r.body)}`);
    const streams = (r.body as { streams: { stream: string; backlog: number }[] }).streams;
    return Object.fromEntries(streams.map((s) => [s.stream, s.backlog]));
  }

  /** The last night: everything the appliance holds reaches the district. */
  async drain(timeoutMs: number): Promise<void> {
    await waitFor(
      async () => {
        await this.nightlySync();
        await new Promise((r) => setTimeout(r, 2000));
        const b = await this.backlog();
        return Object.values(b).every((n) => n === 0) || undefined;
      },
      'every stream drained to the district',
      timeoutMs,
      1000,
    );
  }

  /** The district's roster of forty, every guardian's consent given (their checks go to the district). */
  async importRoster(): Promise<void> {
    const csv = withConsent(rosterCsv(STUDENTS));
    const r = await (this.api as ApiClient).post('/api/v1/health/roster', {
      csvBase64: Buffer.from(csv).toString('base64'),
    });
    if (r.status !== 200) throw new Error(`roster import: ${r.status} ${JSON.stringify(r.body)}`);
    const day = await (this.teacher as ApiClient).get('/api/v1/health/day');
    this.students = (day.body as { studentId: number }[]).map((x) => x.studentId);
    if (this.students.length !== STUDENTS) throw new Error(`roster: ${this.students.length} students, not ${STUDENTS}`);
  }

  /** A teacher's request, logging in again when the session ended (a restart, the idle limit). */
  async asTeacher(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const t = this.teacher as ApiClient;
    let r = await t.request(method, path, method === 'POST' ? (body ?? {}) : undefined);
    if (r.status === 401) {
      await t.loginTeacher(TEACHER.username, TEACHER.pin);
      r = await t.request(method, path, method === 'POST' ? (body ?? {}) : undefined);
    }
    return r;
  }

  /** Forty children pass the door: each measured by the infrared thermometer, the check recorded. */
  async morningCheck(): Promise<string> {
    const th = this.thermometer as ThermometerSim;
    let n = 0;
    for (const [i, studentId] of this.students.entries()) {
      th.next = { objectC: 36 + ((i * 7) % 7) / 10, ambientC: 21.5 };
      // A reading that did not come (the board busy, a write stuck on the cable) is taken again, as at the door.
      let m = await this.asTeacher('POST', '/api/v1/health/measure', {});
      for (let k = 0; k < 3 && m.status === 504; k++) {
        this.measureRetries++;
        await new Promise((r) => setTimeout(r, 1000));
        m = await this.asTeacher('POST', '/api/v1/health/measure', {});
      }
      if (m.status !== 200) throw new Error(`measure: ${m.status} ${JSON.stringify(m.body)}`);
      const c = await this.asTeacher('POST', '/api/v1/health/checks', {
        studentId,
        tempRawC: m.body.objectC,
        ambientC: m.body.ambientC,
        symptoms: [],
      });
      if (c.status !== 201) throw new Error(`check: ${c.status} ${JSON.stringify(c.body)}`);
      this.checks.push(c.body.id as number);
      n++;
    }
    return `${n} checks`;
  }

  /** The Wi-Fi camera node: connected all day, sending a frame every 5 s only while a lesson is on. */
  startCamera(): void {
    const cam = this.camera as { username: string; password: string; client?: MqttClient };
    cam.client = mqtt.connect(`mqtt://127.0.0.1:${this.mqttPort}`, {
      username: cam.username,
      password: cam.password,
      clientId: `${cam.username}_soak`,
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    cam.client.on('error', () => undefined);
  }

  /** A lesson of `ms`: started, the microphones and a 40-face frame every 5 s analysed, ended. */
  async lesson(ms: number): Promise<string> {
    const started = await this.asTeacher('POST', '/api/v1/lessons/start');
    if (started.status !== 201) throw new Error(`lesson start: ${started.status} ${JSON.stringify(started.body)}`);
    const end = Date.now() + ms;
    const cam = this.camera?.client;
    while (Date.now() < end) {
      if (cam?.connected) {
        cam.publish(
          `classedge/dev/${CAMERA_ID}/snapshot`,
          this.frames[this.framesSent % this.frames.length] as Buffer,
          {
            qos: 0,
          },
        );
        this.framesSent++;
      }
      await new Promise((r) => setTimeout(r, Math.min(FRAME_PERIOD_MS, Math.max(0, end - Date.now()))));
    }
    const ended = await this.asTeacher('POST', '/api/v1/lessons/current/end');
    if (ended.status !== 200) throw new Error(`lesson end: ${ended.status} ${JSON.stringify(ended.body)}`);
    this.lessons.push(ended.body.id as number);
    const b = ended.body as { id: number; framesAnalysed?: number; framesDropped?: number; codes?: string };
    return `lesson ${b.id}: frames ${b.framesAnalysed ?? '?'} analysed, ${b.framesDropped ?? '?'} dropped; codes ${b.codes ?? '?'}`;
  }

  /** The classroom panel: Chromium on the kiosk page with the teacher logged in, left open all week. */
  async openKiosk(): Promise<void> {
    const before = new Set(descendants(process.pid));
    this.browser = await launchChromium();
    // The kiosk's Chromium runs on the classroom's mini-PC beside the appliance: nice 0 too.
    this.#chromiumPids = descendants(process.pid).filter((p) => !before.has(p) && /chrom/i.test(comm(p)));
    const page = await this.browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => this.kioskErrors.push(`pageerror: ${e.message}`));
    page.on('crash', () => this.kioskErrors.push('renderer crashed'));
    await page.goto(`http://127.0.0.1:${this.httpPort}/`);
    await page.click(`[data-testid=teacher-${TEACHER.username}]`, { timeout: 30_000 });
    for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
    await page.click('[data-testid=pin-ok]');
    this.kiosk = page;
  }

  /** Whether the kiosk still shows a page (after restarts it reconnects by itself, or the teacher reloads). */
  async kioskAlive(): Promise<boolean> {
    if (!this.kiosk) return false;
    try {
      return ((await this.kiosk.locator('body').innerText({ timeout: 10_000 })) ?? '').length > 0;
    } catch {
      return false;
    }
  }

  /** The wall clock stepped (libfaketime reads the offset file at every call); the monotonic clock is not. */
  setClockOffset(offset: string): void {
    writeFileSync(this.offsetFile, `${offset}\n`);
  }

  /** The appliance's storage state as the kiosk shows it. */
  async storage(): Promise<{ level: string; freeMb: number }> {
    const r = await fetch(`http://127.0.0.1:${this.httpPort}/api/v1/kiosk`, { signal: AbortSignal.timeout(5000) });
    return ((await r.json()) as { storage: { level: string; freeMb: number } }).storage;
  }

  /**
   * The disk nearly full for `holdMs`: a ballast file leaves the small disk between the critical and
   * the low mark; the appliance must say 'low', shed what it may, keep taking readings, and say 'ok'
   * again when the ballast is gone.
   */
  async diskNearlyFull(holdMs: number): Promise<string> {
    if (!this.smallDisk) throw new Error("disk-full needs the data directory on the soak's small disk");
    const ballast = join(this.dataDir, 'ballast');
    const s = statfsSync(this.dataDir);
    const leave = (DISK_LOW_MB - 16) * 1024 * 1024;
    execFileSync('fallocate', ['-l', String(Math.max(4096, s.bavail * s.bsize - leave)), ballast]);
    try {
      const acked = this.acked.length;
      const low = await waitFor(
        async () => {
          const st = await this.storage().catch(() => undefined);
          return st && st.level !== 'ok' ? st : undefined;
        },
        'the kiosk to say the disk is low',
        60_000,
        500,
      );
      await new Promise((r) => setTimeout(r, holdMs));
      if (this.acked.length <= acked) throw new Error('no reading acknowledged while the disk was nearly full');
      rmSync(ballast, { force: true });
      const ok = await waitFor(
        async () => {
          const st = await this.storage().catch(() => undefined);
          return st?.level === 'ok' ? st : undefined;
        },
        'the disk back to ok',
        60_000,
        500,
      );
      return `kiosk said ${low.level} at ${low.freeMb} MB free; ${this.acked.length - acked} readings acknowledged meanwhile; ok again at ${ok.freeMb} MB`;
    } finally {
      rmSync(ballast, { force: true });
    }
  }

  /** Ends every process and timer the harness started, whatever state the run is in. */
  async close(): Promise<void> {
    this.#stopping = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const d of this.devices) d.client?.end(true);
    this.camera?.client?.end(true);
    await this.browser?.close().catch(() => undefined);
    await this.stopAppliance().catch(() => undefined);
    await this.unplugSerial().catch(() => undefined);
    await this.thermometer?.close().catch(() => undefined);
    await this.doorPty?.close().catch(() => undefined);
    await this.proxy?.close().catch(() => undefined);
    await this.stopReceiver().catch(() => undefined);
    await this.pg?.stop().catch(() => undefined);
    await this.remote?.close().catch(() => undefined);
    if (this.#mounted) {
      try {
        execFileSync('umount', ['-l', this.dataDir]);
      } catch {
        /* already gone */
      }
    }
    this.dir.cleanup();
  }
}
