import { join } from 'node:path';
import { startTestAppliance, seedAccounts, TEACHER } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir } from '../helpers/env.js';
import { rosterCsv } from '../helpers/roster.js';
import { openPtyPair } from '../../firmware-bridge/serial/pty-pair.js';
import { ThermometerSim, WIRE_MS } from '../../firmware-bridge/sim/thermometer-sim.js';
import { parseRoster, importRoster } from '../../edge/health/roster.js';
import type { FigureGroup } from './figures.js';
import { atLeast, median as medianOf, ratio } from './guard.js';

/**
 * One check end to end through the API as the kiosk does it: measure (thermometer over a pty at
 * 9600 baud) then record. The device's share is the 3-byte command and 9-byte reply on the wire
 * (the simulator holds its reply that long); what is left is what the software adds.
 */
async function checks(): Promise<Record<string, number>> {
  const dir = tempDir('classedge-bench-');
  const pty = await openPtyPair(dir.path);
  const sim = new ThermometerSim();
  await sim.listen(pty.b);
  const t = await startTestAppliance(
    `health: { remeasureAfterMinutes: 0 }\ncomponents:\n  - { type: thermometer, name: door, port: ${JSON.stringify(join(dir.path, 'appliance'))} }\n`,
  );
  try {
    await seedAccounts(t);
    importRoster(t.appliance.store, parseRoster(Buffer.from(rosterCsv(200))).rows);
    const students = t.appliance.health.day('g2c3');
    atLeast('students on the roster to check', students.length, 10);
    const api = new ApiClient(t.httpUrl);
    await api.loginTeacher(TEACHER.username, TEACHER.pin);
    const times: number[] = [];
    const t0 = performance.now();
    for (const s of students) {
      const a = performance.now();
      const m = await api.post('/api/v1/health/measure', {});
      const c = await api.post('/api/v1/health/checks', {
        studentId: s.studentId,
        tempRawC: m.body.objectC,
        ambientC: m.body.ambientC,
        symptoms: [],
      });
      if (c.status !== 201) throw new Error(`check failed: ${JSON.stringify(c.body)}`);
      times.push(performance.now() - a);
    }
    const total = performance.now() - t0;
    const median = medianOf('check times', times);
    const deviceMs = WIRE_MS;
    return {
      health_checks_per_min: Math.round(ratio('checks per ms', times.length, total) * 60_000),
      health_check_ms_p50: Math.round(median * 10) / 10,
      health_check_software_ms_p50: Math.round((median - deviceMs) * 10) / 10,
    };
  } finally {
    await t.stop();
    await sim.close();
    await pty.close();
    dir.cleanup();
  }
}

export const healthFigures: FigureGroup[] = [
  { figures: ['health_checks_per_min', 'health_check_ms_p50', 'health_check_software_ms_p50'], run: checks },
];
