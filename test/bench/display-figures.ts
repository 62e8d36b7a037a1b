import { join } from 'node:path';
import { startTestAppliance, seedAccounts, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir } from '../helpers/env.js';
import { FAMILIES, type Family } from '../../firmware-bridge/display/families.js';
import type { FigureGroup } from './figures.js';
import { measured, percentile, ratio } from './guard.js';

/**
 * The kiosk's request to the panel's confirmed state, through the HTTP API as the kiosk sends it,
 * to a simulated panel at the family's real baud rate. The floor is the command and reply bytes on
 * the wire.
 */
async function rtt(family: Family): Promise<{ p95: number; wire: number }> {
  const dir = tempDir('classedge-bench-');
  const t = await startTestAppliance(`components:
  - { type: display-sim, name: sim, family: ${family}, ptyDir: ${JSON.stringify(dir.path)} }
  - { type: display, name: panel, family: ${family}, port: ${JSON.stringify(join(dir.path, 'appliance'))}, schedule: { enabled: false } }
`);
  try {
    await seedAccounts(t);
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t0 = performance.now();
      const r = await api.post('/api/v1/displays/panel/commands', { kind: 'volume', level: 20 + (i % 30) });
      if (r.status !== 200) throw new Error(`command failed: ${r.status} ${JSON.stringify(r.body)}`);
      if (i >= 10) times.push(performance.now() - t0);
    }
    const p = FAMILIES[family];
    const cmd = { kind: 'volume', level: 20 } as const;
    const wire =
      ((p.encode(cmd).length + p.encodeReply(cmd, { power: true, volume: 20 }).length) * 11 * 1000) / p.baudRate;
    return { p95: percentile(`${family} command times`, times, 95), wire: measured(`${family} wire time`, wire) };
  } finally {
    await t.stop();
    dir.cleanup();
  }
}

const r2 = (n: number): number => Math.round(n * 100) / 100;

export const displayFigures: FigureGroup[] = [
  {
    figures: [
      'display_command_rtt_ms',
      'display_command_wire_ms',
      'display_command_vs_wire',
      'display_command_rtt_ms_9600',
      'display_command_vs_wire_9600',
    ],
    run: async () => {
      const fast = await rtt('hitevision');
      const slow = await rtt('maxhub');
      return {
        display_command_rtt_ms: r2(fast.p95),
        display_command_wire_ms: r2(fast.wire),
        display_command_vs_wire: r2(ratio('hitevision time / wire', fast.p95, fast.wire)),
        display_command_rtt_ms_9600: r2(slow.p95),
        display_command_vs_wire_9600: r2(ratio('maxhub time / wire', slow.p95, slow.wire)),
      };
    },
  },
];
