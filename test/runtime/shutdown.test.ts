import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { healthy, spawnAppliance, type ChildAppliance } from '../helpers/child.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { HARD_EXIT_MARGIN_MS } from '../../edge/runtime/shutdown.js';

/** `classedge start` plus one component whose stop() never resolves (test/fixtures/hung-appliance.ts). */
const HUNG_APPLIANCE = fileURLToPath(new URL('../fixtures/hung-appliance.js', import.meta.url));

interface LogLine {
  msg?: string;
  component?: string;
  left?: string[];
}

function logLines(app: ChildAppliance): LogLine[] {
  return app.stdout
    .join('')
    .split('\n')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as LogLine];
      } catch {
        return [];
      }
    });
}

/** Whether something accepts TCP connections on this loopback port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startHung(shutdownTimeoutMs: number): Promise<{ app: ChildAppliance; cleanup(): Promise<void> }> {
  const dir = tempDir();
  writeFileSync(join(dir.path, 'config.yaml'), `shutdownTimeoutMs: ${shutdownTimeoutMs}\nlog: { level: info }\n`);
  const app = await spawnAppliance(dir.path, [], {}, HUNG_APPLIANCE);
  return {
    app,
    cleanup: async () => {
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
      await app.exited;
      dir.cleanup();
    },
  };
}

test(
  'shutdown: a real appliance process whose driver never stops: every other component stops and the process exits within shutdownTimeoutMs',
  { timeout: 180_000 },
  async () => {
    const bound = 3000;
    const { app, cleanup } = await startHung(bound);
    try {
      await healthy(app);
      assert.ok(await accepts(app.mqttPort), 'the broker listens');
      const t0 = Date.now();
      app.child.kill('SIGTERM');
      // The hung driver holds the process until the bound; the API and the broker are gone before.
      await waitFor(
        async () => {
          if (app.child.exitCode !== null)
            throw new Error('the process exited before the API and broker were seen closed');
          return !(await accepts(app.httpPort)) && !(await accepts(app.mqttPort)) ? true : undefined;
        },
        'the API and broker ports closing',
        bound,
      );
      const { code } = await app.exited;
      const took = Date.now() - t0;
      assert.equal(code, 1, 'not a clean stop: one component was left');
      assert.ok(took < bound + HARD_EXIT_MARGIN_MS, `exited ${took} ms after SIGTERM; bound ${bound} ms`);
      const lines = logLines(app);
      assert.deepEqual(
        lines.filter((l) => l.msg === 'component did not stop in time').map((l) => l.component),
        ['hung-driver'],
      );
      assert.deepEqual(lines.find((l) => l.msg === 'shutdown bound reached: every other component stopped')?.left, [
        'hung-driver',
      ]);
    } finally {
      await cleanup();
    }
  },
);

test('shutdown: a second signal during a slow shutdown ends the process at once', { timeout: 180_000 }, async () => {
  const bound = 30_000;
  const { app, cleanup } = await startHung(bound);
  try {
    await healthy(app);
    app.child.kill('SIGTERM');
    await waitFor(
      () =>
        logLines(app).some((l) => l.component === 'hung-driver' && l.msg === 'asked to stop; never will') || undefined,
      'the shutdown reaching the hung driver',
      bound,
    );
    const t0 = Date.now();
    app.child.kill('SIGINT');
    const { code } = await app.exited;
    const took = Date.now() - t0;
    assert.equal(code, 1);
    assert.ok(took < 2000, `exited ${took} ms after the second signal (the shutdown bound is ${bound} ms)`);
    assert.ok(logLines(app).some((l) => l.msg === 'second signal: exiting without waiting for the shutdown'));
  } finally {
    await cleanup();
  }
});
