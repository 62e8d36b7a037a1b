import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestAppliance, seedAccounts, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { MediaClient } from '../helpers/media-peer.js';
import { launchChromium } from '../helpers/browser.js';
import { FAKE_MEDIA } from '../helpers/remote-browser.js';
import { BUILD_PROGRESS_FILE, cachedWorkerPath } from '../../edge/media/worker-bin.js';
import type { MediaService } from '../../edge/media/media-service.js';
import type { ComponentStatus } from '../../edge/runtime/component.js';

// The real worker, built by scripts/build-mediasoup-worker.sh (npm test builds it first). Taken
// before the tests point MEDIASOUP_WORKER_BIN elsewhere.
const REAL_WORKER = process.env.MEDIASOUP_WORKER_BIN || cachedWorkerPath();

const MEDIA = `components:\n  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1 }\n`;

function media(t: TestAppliance): MediaService {
  const m = t.appliance.registry.all().find((c) => c.kind === 'media');
  assert.ok(m, 'media component');
  return m as MediaService;
}

async function healthOfMedia(
  t: TestAppliance,
): Promise<{ status: number; overall: string; media: ComponentStatus | undefined }> {
  const res = await fetch(`${t.httpUrl}/api/v1/health`);
  const body = (await res.json()) as { status: string; components: ComponentStatus[] };
  return { status: res.status, overall: body.status, media: body.components.find((c) => c.kind === 'media') };
}

/**
 * Where the background build would put the worker: a temp directory, empty at each test's start.
 * One path for the whole file, set before anything imports mediasoup, because mediasoup reads
 * MEDIASOUP_WORKER_BIN once, at its first import (in this process, the first test's appliance).
 */
const BUILD = tempDir();
process.env.MEDIASOUP_WORKER_BIN = join(BUILD.path, 'mediasoup-worker');
after(() => BUILD.cleanup());

function buildDir(): { path: string; bin: string; progress(p: object): void; install(): void } {
  const bin = join(BUILD.path, 'mediasoup-worker');
  for (const f of readdirSync(BUILD.path)) rmSync(join(BUILD.path, f), { recursive: true, force: true });
  return {
    path: BUILD.path,
    bin,
    // As the script does: whole files only (tmp + rename).
    progress: (p) => {
      writeFileSync(
        `${bin}.progress.tmp`,
        JSON.stringify({ pid: process.pid, updatedAt: new Date().toISOString(), ...p }),
      );
      renameSync(`${bin}.progress.tmp`, join(BUILD.path, BUILD_PROGRESS_FILE));
    },
    install: () => {
      copyFileSync(REAL_WORKER, `${bin}.tmp`);
      renameSync(`${bin}.tmp`, bin);
    },
  };
}

test(
  'the appliance starts while the media worker builds; the kiosk shows the progress; when the worker arrives remote lessons work without a restart',
  { timeout: 150_000 },
  async () => {
    assert.ok(
      existsSync(REAL_WORKER),
      `the real worker is built first (bash scripts/build-mediasoup-worker.sh): ${REAL_WORKER}`,
    );
    const build = buildDir();
    build.progress({ stage: 'compile', percent: 40 });
    const t = await startTestAppliance(MEDIA);
    const browser = await launchChromium(FAKE_MEDIA);
    try {
      await seedAccounts(t);
      // Started, not waiting for minutes: the media component says what it waits for.
      const h = await healthOfMedia(t);
      assert.equal(h.status, 200, 'an optional component that is preparing leaves the appliance serving');
      assert.equal(h.overall, 'degraded');
      assert.equal(h.media?.state, 'starting');
      assert.equal(h.media?.progress, 40);
      assert.equal(h.media?.detail, 'remote lessons are being prepared: building the media worker (40 %)');

      // A lesson asked for now gets the reason, typed.
      const api = new ApiClient(t.httpUrl);
      await api.loginTeacher(TEACHER.username, TEACHER.pin);
      const tc = await MediaClient.connect(`${t.httpUrl.replace('http', 'ws')}/api/v1/media`, {
        cookie: api.cookie ?? '',
      });
      await assert.rejects(
        tc.request('lesson.start', {}),
        /not_ready: remote lessons are being prepared: building the media worker \(40 %\)/,
      );

      // The teacher's panel shows the progress instead of the start button.
      const page = await (await browser.newContext()).newPage();
      await page.goto(t.httpUrl);
      await page.click(`[data-testid=teacher-${TEACHER.username}]`);
      for (const d of TEACHER.pin) await page.click(`[data-testid=pin-${d}]`);
      await page.click('[data-testid=pin-ok]');
      await page.waitForSelector('[data-testid=home]');
      await page.goto(`${t.httpUrl}/#/remote`);
      await page.waitForSelector('[data-testid=remote-preparing]');
      assert.match((await page.textContent('[data-testid=remote-preparing]')) ?? '', /远程课堂准备中…（40%）/);
      assert.equal(await page.getAttribute('[data-testid=remote-preparing] [role=progressbar]', 'aria-valuenow'), '40');
      assert.equal(await page.$('[data-testid=remote-start]'), null);

      // The build moves on: health and the panel follow without a reload.
      build.progress({ stage: 'compile', percent: 75 });
      await waitFor(
        async () => ((await healthOfMedia(t)).media?.progress === 75 ? true : undefined),
        'progress 75 in health',
        10_000,
      );
      await page.waitForSelector('[data-testid=remote-preparing] [aria-valuenow="75"]', { timeout: 10_000 });

      // The build installs the worker and says done: within a few seconds the component runs.
      build.install();
      build.progress({ stage: 'done', percent: 100 });
      const t0 = Date.now();
      await waitFor(
        () => (media(t).status().state === 'running' ? true : undefined),
        'the media component running',
        15_000,
      );
      assert.ok(Date.now() - t0 < 5000, `running ${Date.now() - t0} ms after the worker arrived`);
      const after = await healthOfMedia(t);
      assert.equal(after.media?.state, 'running');
      assert.equal(after.media?.progress, undefined);
      // The worker spawned is the one at MEDIASOUP_WORKER_BIN as set before mediasoup's import.
      const [pid] = media(t).workerPids();
      assert.ok(pid);
      assert.equal(readlinkSync(`/proc/${pid}/exe`), build.bin);

      // Through the same signalling connection, a lesson starts now.
      const { code } = await tc.request('lesson.start', { title: '专递课堂' });
      assert.match(code, /^[A-HJ-NP-Z2-9]{8}$/);
      const joined = await tc.request('room.join');
      assert.ok(joined.routerRtpCapabilities.codecs.length > 0);
      await tc.request('lesson.end');
      tc.close();

      // And on the panel the start button came by itself.
      await page.click('[data-testid=remote-start]', { timeout: 10_000 });
      await page.waitForSelector('[data-testid=remote-qr]');
      assert.match(((await page.textContent('[data-testid=remote-code]')) ?? '').trim(), /^[A-HJ-NP-Z2-9]{8}$/);
    } finally {
      await browser.close();
      await t.stop();
    }
  },
);

test(
  'a failed worker build is shown as failed with its log; a build by hand afterwards is picked up without a restart',
  { timeout: 60_000 },
  async () => {
    assert.ok(existsSync(REAL_WORKER), `the real worker is built first: ${REAL_WORKER}`);
    const build = buildDir();
    build.progress({
      stage: 'failed',
      percent: 0,
      message: `the media worker build failed while in stage compile (exit 1): error: boom; log: ${join(build.path, 'build.log')}`,
    });
    const t = await startTestAppliance(MEDIA);
    try {
      const h = await healthOfMedia(t);
      assert.equal(h.media?.state, 'failed');
      assert.equal(
        h.media?.detail,
        `remote lessons are unavailable: the media worker build failed while in stage compile (exit 1): error: boom; log: ${join(build.path, 'build.log')}`,
      );
      // Someone runs the build again: under way, then done.
      build.progress({ stage: 'packages', percent: 3 });
      await waitFor(
        () => (media(t).status().state === 'starting' && media(t).status().progress === 3 ? true : undefined),
        'starting again with the new build',
        10_000,
      );
      build.install();
      build.progress({ stage: 'done', percent: 100 });
      await waitFor(() => (media(t).status().state === 'running' ? true : undefined), 'running', 15_000);
    } finally {
      await t.stop();
    }
  },
);

test(
  'stopping the appliance while the worker builds stops at once and starts no worker afterwards',
  { timeout: 60_000 },
  async () => {
    assert.ok(existsSync(REAL_WORKER), `the real worker is built first: ${REAL_WORKER}`);
    const build = buildDir();
    const t = await startTestAppliance(MEDIA);
    try {
      const m = media(t);
      // No progress file and no binary: waiting, with the command that builds it.
      assert.equal(m.status().state, 'starting');
      assert.equal(
        m.status().detail,
        `waiting for the media worker at ${build.bin}; build it with bash scripts/build-mediasoup-worker.sh`,
      );
      const t0 = Date.now();
      assert.equal(await t.appliance.stop(), true);
      assert.ok(Date.now() - t0 < 2000, 'stopped at once');
      assert.equal(m.status().state, 'stopped');
      build.install();
      // Longer than the component's look-again interval.
      await new Promise((r) => setTimeout(r, 3000));
      assert.deepEqual(m.workerPids(), []);
      assert.equal(m.status().state, 'stopped');
    } finally {
      await t.stop();
    }
  },
);
