import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { synthesizeLesson } from '../../firmware-bridge/sim/lesson-audio.js';
import { qaLessonScript } from '../../firmware-bridge/sim/qa-lesson-script.js';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { addUser } from '../services/accounts.js';
import { importRoster } from '../health/roster.js';
import { findProgram } from '../runtime/programs.js';

/**
 * Demo mode only. These accounts exist so that a newcomer can log in at once; they are created in
 * the demo's own data directory and never by a normal start (no default accounts in production).
 */
export const DEMO_ACCOUNTS = {
  admin: { username: 'admin', password: 'Demo-Admin-2026' },
  teacher: { username: 'teacher', displayName: '王老师', pin: '258036' },
} as const;

/** Six RS-485 sensors on one simulated bus, as a real classroom would have them. */
export const DEMO_MODBUS_SLAVES = [
  { address: 1, profile: 'jxct-gas' },
  { address: 2, profile: 'jxct-pm' },
  { address: 3, profile: 'jxct-th' },
  { address: 4, profile: 'xy-md02-x10' },
  { address: 5, profile: 'noise-meter' },
  { address: 6, profile: 'jxct-light' },
] as const;

/**
 * The demo's classroom recording, in the user's cache (outside the data directory, which never
 * holds audio). Returns its path at once; if it is not there yet it is synthesised in the
 * background (espeak-ng and sox, a few seconds) and appears by an atomic rename, while the
 * demo's microphones wait for it.
 */
export function demoLesson(): { path: string; ready: Promise<void> } {
  const dir = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'classedge', 'demo-lesson-v2');
  const path = join(dir, 'lesson.wav');
  if (existsSync(path)) return { path, ready: Promise.resolve() };
  const ready = (async () => {
    // On a first start the demo's background job is still installing espeak-ng and sox: wait.
    await waitForPrograms(['espeak-ng', 'sox'], 30 * 60_000);
    const work = join(dir, `work-${process.pid}`);
    mkdirSync(work, { recursive: true });
    try {
      const made = await synthesizeLesson(work, qaLessonScript(2026, 300));
      renameSync(made.wav, path);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  })();
  return { path, ready };
}

async function waitForPrograms(names: readonly string[], timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const missing = names.filter((n) => findProgram(n) === undefined);
    if (missing.length === 0) return;
    if (Date.now() > end) throw new Error(`${missing.join(' and ')} not installed`);
    await new Promise((r) => setTimeout(r, 2000).unref());
  }
}

/**
 * The demo's sensors: a Wi-Fi sensor (four metrics at QoS 1 every 2 s, unless `wifi` is false) and six
 * Modbus sensors on a simulated bus polled every 2 s. The flash benchmark measures the store at this rate.
 */
export function demoSensors(ptyDir: string, wifi = true, room = false): Record<string, unknown>[] {
  return [
    ...(wifi ? [{ type: 'mqtt-sensor-sim', name: 'demo-air-sensor', deviceId: 'demo-air-1', intervalMs: 2000 }] : []),
    // The simulator makes the socat "cable" and serves the sensors on its far end; the bus opens the near end.
    {
      type: 'modbus-sim',
      name: 'demo-modbus-sensors',
      ptyDir,
      slaves: DEMO_MODBUS_SLAVES,
      ...(room ? DEMO_ROOM.sim : {}),
    },
    {
      type: 'modbus-bus',
      name: 'modbus',
      port: join(ptyDir, 'appliance'),
      pollIntervalMs: 2000,
      devices: DEMO_MODBUS_SLAVES,
      ...(room ? DEMO_ROOM.bus : {}),
    },
  ];
}

/**
 * The demo's room: an 8-relay board on the sensors' RS-485 line (fresh-air unit, front and back
 * lights) and a Wi-Fi switch for the blackboard light; the room model makes the CO₂ and light
 * sensors follow the students of the timetable, the fresh air and the lights.
 */
const DEMO_ROOM = {
  sim: {
    relays: [{ address: 10, board: 'coil-relay-8' }],
    roomModel: {
      co2Sensor: 1,
      lightSensor: 6,
      freshAir: [{ board: 10, relay: 1 }],
      lights: [
        { board: 10, relay: 2 },
        { board: 10, relay: 3 },
      ],
      students: 30,
    },
  },
  bus: {
    relays: [
      {
        address: 10,
        board: 'coil-relay-8',
        id: 'demo-relays',
        channels: [
          { relay: 1, id: 'fresh-air' },
          { relay: 2, id: 'lights-front' },
          { relay: 3, id: 'lights-back' },
          { relay: 4, id: 'curtain-open' },
          { relay: 5, id: 'curtain-close' },
        ],
      },
    ],
  },
  components: [
    { type: 'tasmota-sim', name: 'demo-board-light-sim', deviceId: 'demo-board-light' },
    {
      type: 'tasmota-switch',
      name: 'board-light',
      device: 'demo-board-light',
      channels: [{ power: 1, id: 'board-light' }],
    },
  ],
  settings: {
    enabled: true,
    classSize: 30,
    switches: [
      { id: 'fresh-air', role: 'fresh-air', label: '新风机' },
      { id: 'lights-front', role: 'screen-lights', label: '前排灯' },
      { id: 'lights-back', role: 'lights', label: '后排灯' },
      { id: 'board-light', role: 'other', label: '黑板灯' },
    ],
    curtains: [{ id: 'curtain', label: '窗帘', openSwitch: 'curtain-open', closeSwitch: 'curtain-close', travelS: 20 }],
  },
} as const;

/** The demo's configuration; `lessonWav` adds the replayed recording (commands other than start leave it out). */
export function demoOverlay(dataDir: string, lessonWav?: string): Record<string, unknown> {
  const ptyDir = join(dataDir, 'pty');
  return {
    appliance: { id: 'demo-classroom', name: '演示教室 Demo classroom' },
    dataDir,
    // Short S-T intervals, so the curve visibly grows within a minute of watching.
    analysis: { sampleIntervalS: 10, classSize: 30 },
    room: DEMO_ROOM.settings,
    components: [
      ...demoSensors(ptyDir, true, true),
      ...DEMO_ROOM.components,
      // A Hitevision/Newline panel on a simulated RS-232 cable, under the teacher's control.
      { type: 'display-sim', name: 'demo-panel-sim', family: 'hitevision', ptyDir: join(dataDir, 'pty-panel') },
      { type: 'display', name: 'panel', family: 'hitevision', port: join(dataDir, 'pty-panel', 'appliance') },
      // The door station: a simulated IR thermometer on a socat cable and a Wi-Fi card reader.
      { type: 'door-sim', name: 'demo-door', ptyDir: join(dataDir, 'pty-door'), readerDeviceId: 'demo-card-reader' },
      { type: 'thermometer', name: 'door-thermometer', port: join(dataDir, 'pty-door', 'appliance') },
      // The lesson: a synthesised recording on the two microphones, and a camera node over Wi-Fi.
      ...(lessonWav ? [{ type: 'audio-file', name: 'demo-microphones', path: lessonWav, loop: true }] : []),
      { type: 'camera-sim', name: 'demo-camera-sim', deviceId: 'demo-camera-1', everySeconds: 3, maxFaces: 26 },
      // Remote lessons on this machine only: a second browser tab joins with the code.
      { type: 'media', name: 'media', listenIp: '127.0.0.1', workers: 1 },
    ],
  };
}

/** A demo class of 30 (names made up), imported once, as IT staff would import the district's CSV. */
export function ensureDemoRoster(store: Store): void {
  if (store.roster.count() > 0) return;
  const family = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
  const given = ['小明', '小红', '子涵', '浩然', '雨桐', '梓轩', '欣怡', '一诺', '宇航', '思远'];
  const rows = Array.from({ length: 30 }, (_, i) => ({
    line: i + 2,
    classId: 'demo-2-3',
    className: '二年级(3)班',
    studentNo: `D${String(i + 1).padStart(3, '0')}`,
    name: `${family[i % 10]}${given[(i * 7) % 10]}`,
    cardId: (0xd0a10000 + i).toString(16).toUpperCase(),
    guardianPhone: undefined,
  }));
  importRoster(store, rows);
}

export async function ensureDemoAccounts(store: Store, config: Config): Promise<void> {
  // Side by side: each hash is a deliberate fraction of a second (scrypt N=2^17) and the demo's first start waits for
  // both.
  const { admin, teacher } = DEMO_ACCOUNTS;
  await Promise.all([
    store.users.byUsername(admin.username)
      ? undefined
      : addUser(store, config, { username: admin.username, role: 'admin', secret: admin.password }, 'demo'),
    store.users.byUsername(teacher.username)
      ? undefined
      : addUser(
          store,
          config,
          { username: teacher.username, displayName: teacher.displayName, role: 'teacher', secret: teacher.pin },
          'demo',
        ),
  ]);
}
