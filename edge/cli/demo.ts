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

export function demoOverlay(dataDir: string): Record<string, unknown> {
  return {
    appliance: { id: 'demo-classroom', name: '演示教室 Demo classroom' },
    dataDir,
    components: [{ type: 'mqtt-sensor-sim', name: 'demo-air-sensor', deviceId: 'demo-air-1', intervalMs: 2000 }],
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
