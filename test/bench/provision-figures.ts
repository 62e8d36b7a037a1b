import { join } from 'node:path';
import { startPostgres } from '../helpers/postgres.js';
import { CLI, freePort, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import { DistrictReceiver } from '../../cloud-sync/server/district.js';
import type { FigureGroup } from './figures.js';
import { median, sampled } from './guard.js';

/**
 * `provision_s`: a fresh data directory to an enrolled appliance answering its health check:
 * `classedge provision` (key pair, enrolment, first signed configuration, first admin, doctor) as
 * the technician runs it, then `classedge start` until /api/v1/health answers. Median of 3 boxes,
 * against a local district receiver on PostgreSQL.
 */
async function provisionSeconds(): Promise<Record<string, number>> {
  const pg = await startPostgres();
  const receiver = new DistrictReceiver({ databaseUrl: pg.url });
  await receiver.migrate();
  const url = `http://127.0.0.1:${await receiver.listen(0)}`;
  const times: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const dir = tempDir('classedge-bench-');
      try {
        const id = `bench-room-${i}`;
        const token = await receiver.createToken(id, 'bench-school');
        await receiver.publishConfig({ appliance: id }, { kiosk: { idleLockSeconds: 600 } });
        const data = join(dir.path, 'data');
        const config = join(dir.path, 'config.yaml');
        const env = { CLASSEDGE_HTTP_PORT: String(await freePort()), CLASSEDGE_MQTT_PORT: String(await freePort()) };
        const t0 = performance.now();
        const p = await run(
          process.execPath,
          [
            CLI,
            'provision',
            '--district',
            url,
            '--token',
            token,
            '--id',
            id,
            '--school',
            'bench-school',
            '--admin',
            'it-admin',
            '--config',
            config,
            '--data-dir',
            data,
            '--json',
          ],
          {
            env,
            input: 'Bench-Passw0rd!\n',
          },
        );
        if (p.code !== 0) throw new Error(`provision failed: ${p.err}${p.out}`);
        const app = await spawnAppliance(data, ['--config', config, '--log-level', 'warn']);
        try {
          await healthy(app, 60_000);
          times.push((performance.now() - t0) / 1000);
        } finally {
          app.child.kill('SIGTERM');
          await app.exited;
        }
      } finally {
        dir.cleanup();
      }
    }
  } finally {
    await receiver.close();
    await pg.stop();
  }
  return { provision_s: Math.round(median('provisioning times', sampled('provisioning times', times, 3)) * 100) / 100 };
}

export const provisionFigures: FigureGroup[] = [{ figures: ['provision_s'], run: provisionSeconds }];
