import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { addUser } from '../services/accounts.js';

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

export function demoOverlay(dataDir: string): Record<string, unknown> {
  const ptyDir = join(dataDir, 'pty');
  return {
    appliance: { id: 'demo-classroom', name: '演示教室 Demo classroom' },
    dataDir,
    components: [
      { type: 'mqtt-sensor-sim', name: 'demo-air-sensor', deviceId: 'demo-air-1', intervalMs: 2000 },
      // The simulator makes the socat "cable" and serves the sensors on its far end; the bus opens the near end.
      { type: 'modbus-sim', name: 'demo-modbus-sensors', ptyDir, slaves: DEMO_MODBUS_SLAVES },
      { type: 'modbus-bus', name: 'modbus', port: join(ptyDir, 'appliance'), pollIntervalMs: 2000, devices: DEMO_MODBUS_SLAVES },
      // A Hitevision/Newline panel on a simulated RS-232 cable, under the teacher's control.
      { type: 'display-sim', name: 'demo-panel-sim', family: 'hitevision', ptyDir: join(dataDir, 'pty-panel') },
      { type: 'display', name: 'panel', family: 'hitevision', port: join(dataDir, 'pty-panel', 'appliance') },
    ],
  };
}

export async function ensureDemoAccounts(store: Store, config: Config): Promise<void> {
  if (!store.users.byUsername(DEMO_ACCOUNTS.admin.username)) {
    await addUser(store, config, { username: DEMO_ACCOUNTS.admin.username, role: 'admin', secret: DEMO_ACCOUNTS.admin.password }, 'demo');
  }
  if (!store.users.byUsername(DEMO_ACCOUNTS.teacher.username)) {
    await addUser(
      store,
      config,
      { username: DEMO_ACCOUNTS.teacher.username, displayName: DEMO_ACCOUNTS.teacher.displayName, role: 'teacher', secret: DEMO_ACCOUNTS.teacher.pin },
      'demo',
    );
  }
}
