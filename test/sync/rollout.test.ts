import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { startDistrict, enrolDataDir, type TestDistrict } from '../helpers/district.js';
import { startTestAppliance } from '../helpers/appliance.js';
import { ROOT, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { bench, goodTree } from '../helpers/update-bench.js';
import { applianceKey } from '../../edge/sync/keys.js';
import { signText } from '../../edge/security/signing.js';
import { makeBundle } from '../../edge/update/bundle.js';
import {
  BUNDLE_HEADERS,
  REQUEST_KINDS,
  bundleSigningExtra,
  heartbeatSigningExtra,
  requestSigningString,
  type FleetUpdateReport,
  type HeartbeatStatus,
  type UpdateOffer,
} from '../../cloud-sync/protocol.js';
import type { RolloutRow } from '../../cloud-sync/server/rollout-store.js';
import { ConsoleStore } from '../../cloud-sync/server/console-store.js';
import { hashSecret } from '../../edge/security/secrets.js';
import { launchChromium } from '../helpers/browser.js';

/**
 * Updates pulled by the fleet (issue 20, part 3; docs/fleet-updates.md): a real receiver on a real
 * PostgreSQL offers a rollout's bundle in heartbeat answers, serves it by ranges, records outcomes
 * and halts the rollout past its failure share; real appliances download, install and report.
 */

let pgsql: TestPostgres;
before(async () => {
  pgsql = await startPostgres();
});
after(async () => pgsql.stop());

const DISTRICT_CLI = join(ROOT, 'bin', 'classedge-district.js');
const cli = (...args: string[]): ReturnType<typeof run> =>
  run(process.execPath, [DISTRICT_CLI, ...args, '--database', pgsql.url]);

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

const status = (update?: FleetUpdateReport): HeartbeatStatus => ({
  sentAt: Date.now(),
  version: '1.0.0',
  uptimeS: 1,
  components: [],
  disk: { freeBytes: 1, totalBytes: 2 },
  flash: {},
  streams: {},
  configVersion: 0,
  ...(update ? { update } : {}),
});

/** An enrolled appliance without a process: its key signs heartbeats and downloads by hand. */
async function fakeAppliance(
  d: TestDistrict,
  dir: string,
  id: string,
  school: string,
): Promise<{
  heartbeat: (u?: FleetUpdateReport) => Promise<{ status: number; json: Record<string, unknown> }>;
  get: (sha256: string, range?: string, o?: { id?: string; badSig?: boolean }) => Promise<Response>;
}> {
  const data = join(dir, id);
  await enrolDataDir(d.receiver, d.url, data, id, school);
  const key = applianceKey(data).privateKey;
  return {
    heartbeat: async (u) => {
      const s = status(u);
      const nonce = `n${Math.random()}`;
      const text = requestSigningString(REQUEST_KINDS.heartbeat, id, nonce, heartbeatSigningExtra(s));
      const r = await fetch(`${d.url}/v1/heartbeat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ applianceId: id, nonce, signature: signText(text, key), status: s }),
      });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    },
    get: (sha256, range, o = {}) => {
      const nonce = `n${Math.random()}`;
      const text = requestSigningString(
        REQUEST_KINDS.bundle,
        o.id ?? id,
        nonce,
        bundleSigningExtra(sha256, range ?? ''),
      );
      return fetch(`${d.url}/v1/bundles/${sha256}`, {
        headers: {
          [BUNDLE_HEADERS.appliance]: o.id ?? id,
          [BUNDLE_HEADERS.nonce]: nonce,
          [BUNDLE_HEADERS.signature]: signText(o.badSig ? `${text}x` : text, key),
          ...(range !== undefined ? { range } : {}),
        },
      });
    },
  };
}

const rollouts = async (d: TestDistrict): Promise<RolloutRow[]> => d.receiver.rollouts.rollouts();

test(
  'district: rollout create refuses bad options by name; the ring sees the offer, others do not; the bundle is served whole or by one range; hostile downloads are refused by field, never a 500; a failure past the share halts the rollout and nothing more is offered',
  { timeout: 180_000 },
  async () => {
    const d = await startDistrict(pgsql);
    const dir = tempDir('classedge-rollout-district-');
    try {
      const a = await fakeAppliance(d, dir.path, 'rd-a', 'north');
      const b = await fakeAppliance(d, dir.path, 'rd-b', 'north');
      const c = await fakeAppliance(d, dir.path, 'rd-c', 'south');
      goodTree(join(dir.path, 'tree'), '2.0.0', join(dir.path, 'marker'));
      const file = join(dir.path, 'b.update');
      makeBundle(join(dir.path, 'tree'), { version: '2.0.0' }, await d.receiver.signingKey(), file);
      const bytes = readFileSync(file);
      // Signed by someone else: refused before it is stored.
      const other = join(dir.path, 'other.update');
      const { newKeyPair, privateKeyFrom } = await import('../../edge/security/signing.js');
      makeBundle(join(dir.path, 'tree'), { version: '2.0.0' }, privateKeyFrom(newKeyPair().privateKeyPem), other);
      for (const [args, why] of [
        [
          ['--bundle', file, '--ring', 'everyone', '--window', 'any'],
          /--ring: expected pilot, all, school:<name> or list/,
        ],
        [['--bundle', file, '--ring', 'all', '--window', '25:00-26:00'], /--window: expected HH:MM-HH:MM/],
        [
          ['--bundle', file, '--ring', 'all', '--window', 'any', '--max-failure-share', '2'],
          /--max-failure-share: expected a number from 0 to 1/,
        ],
        [
          ['--bundle', file, '--ring', 'list:rd-a,nobody', '--window', 'any'],
          /--ring: appliances not enrolled: nobody/,
        ],
        [['--bundle', other, '--ring', 'all', '--window', 'any'], /signature by the district's key/],
      ] as const) {
        const r = await cli('rollout', 'create', ...args);
        assert.notEqual(r.code, 0, args.join(' '));
        assert.match(r.err, why);
      }
      const made = await cli(
        'rollout',
        'create',
        '--bundle',
        file,
        '--ring',
        'school:north',
        '--window',
        'any',
        '--max-failure-share',
        '0.4',
        '--json',
      );
      assert.equal(made.code, 0, made.err);
      const row = JSON.parse(made.out) as RolloutRow;
      assert.equal(row.bundle, sha(bytes));
      assert.equal(row.ringSize, 2);
      assert.equal(row.state, 'active');

      // The ring's appliances see the offer in the (signed) heartbeat answer; the other school's do not.
      const ha = await a.heartbeat();
      assert.equal(ha.status, 200, JSON.stringify(ha.json));
      const offer = ha.json.offer as UpdateOffer;
      assert.deepEqual(offer, {
        rolloutId: row.id,
        sha256: sha(bytes),
        size: bytes.length,
        version: '2.0.0',
        path: `/v1/bundles/${sha(bytes)}`,
      });
      assert.equal((await c.heartbeat()).json.offer, undefined);

      // Whole, and one range.
      const whole = await a.get(offer.sha256);
      assert.equal(whole.status, 200);
      assert.equal(sha(Buffer.from(await whole.arrayBuffer())), offer.sha256);
      const part = await a.get(offer.sha256, 'bytes=100-');
      assert.equal(part.status, 206);
      assert.equal(part.headers.get('content-range'), `bytes 100-${bytes.length - 1}/${bytes.length}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), bytes.subarray(100));

      // Hostile: refused by field or header, with a JSON reason; never a 500.
      const bad: [string, Promise<Response>, number, RegExp][] = [
        ['bad signature', a.get(offer.sha256, undefined, { badSig: true }), 401, /signature does not verify/],
        ['not in the ring', c.get(offer.sha256), 404, /no active rollout offers bundle .* to appliance 'rd-c'/],
        ['unknown bundle', a.get('0'.repeat(64)), 404, /no active rollout offers bundle 0{64}/],
        ['not a sha256', a.get('XYZ'), 400, /\/sha256 \(the path\): expected a SHA-256/],
        ['range past the end', a.get(offer.sha256, `bytes=${bytes.length}-`), 416, /header range: expected one range/],
        ['range backwards', a.get(offer.sha256, 'bytes=50-10'), 416, /header range/],
        ['two ranges', a.get(offer.sha256, 'bytes=0-1,5-6'), 416, /header range/],
        ['suffix range', a.get(offer.sha256, 'bytes=-5'), 416, /header range/],
        ['unknown appliance', a.get(offer.sha256, undefined, { id: 'ghost' }), 401, /not enrolled/],
        [
          'no signature header',
          fetch(`${d.url}/v1/bundles/${offer.sha256}`, { headers: { [BUNDLE_HEADERS.appliance]: 'rd-a' } }),
          400,
          /header x-classedge-nonce: expected a string/,
        ],
      ];
      for (const [what, p, code, why] of bad) {
        const r = await p;
        const j = (await r.json()) as { message: string };
        assert.equal(r.status, code, `${what}: ${JSON.stringify(j)}`);
        assert.match(j.message, why, what);
      }
      // A heartbeat with a hostile outcome is refused by field.
      const hostile = await a.heartbeat({ rolloutId: row.id, sha256: offer.sha256, state: 'exploded' as 'failed' });
      assert.equal(hostile.status, 400);
      assert.match(String(hostile.json.message), /\/status\/update\/state: expected one of downloading/);

      // rd-a installed: 1 of 1 fine. rd-b rolled back: 1 of 2 = 0.5 > 0.4: halted.
      assert.equal(
        (await a.heartbeat({ rolloutId: row.id, sha256: offer.sha256, state: 'installed', version: '2.0.0' })).status,
        200,
      );
      assert.equal((await rollouts(d))[0]?.state, 'active');
      assert.equal((await b.heartbeat()).status, 200);
      const hb = await b.heartbeat({
        rolloutId: row.id,
        sha256: offer.sha256,
        state: 'rolled-back',
        detail: 'not healthy',
      });
      assert.equal(hb.status, 200);
      assert.equal(hb.json.offer, undefined, 'a halted rollout offers nothing');
      const [halted] = await rollouts(d);
      assert.equal(halted?.state, 'halted');
      assert.match(halted?.reason ?? '', /1 of 2 reported failed or rolled back/);
      assert.deepEqual(halted?.counts, { installed: 1, 'rolled-back': 1 });
      assert.equal((await a.get(offer.sha256)).status, 404, 'nor serves its bundle');
      const list = await cli('rollout', 'list');
      assert.equal(list.code, 0, list.err);
      assert.match(list.out, new RegExp(`#${row.id}\\thalted .*installed 1 rolled-back 1 failed 0`));

      // Pilot ring, by hand halt.
      const unknown = await cli('rollout', 'pilot', 'add', 'rd-c', 'nobody');
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.err, /appliances not enrolled: nobody \(none flagged\)/);
      assert.equal((await cli('rollout', 'pilot', 'add', 'rd-c')).code, 0);
      const pilot = await cli('rollout', 'create', '--bundle', file, '--ring', 'pilot', '--window', '01:00-03:00');
      assert.equal(pilot.code, 0, pilot.err);
      const pc = (await c.heartbeat()).json.offer as UpdateOffer;
      assert.deepEqual(pc.window, { from: '01:00', to: '03:00' });
      assert.equal((await a.heartbeat()).json.offer, undefined);
      const id = String(pc.rolloutId);
      assert.equal((await cli('rollout', 'halt', id)).code, 0);
      assert.match((await cli('rollout', 'halt', id)).err, /no active rollout of that id/);
      assert.equal((await c.heartbeat()).json.offer, undefined);
      assert.equal(
        Number((await d.receiver.pool.query('SELECT count(*) AS n FROM update_bundles')).rows[0].n),
        1,
        'stored once',
      );
    } finally {
      await d.stop();
      dir.cleanup();
    }
  },
);

test(
  'appliance: a download cut half-way resumes with Range under the download cap; a bundle whose bytes do not match the offer is refused, reported as failed, and the rollout halts',
  { timeout: 180_000 },
  async () => {
    const d = await startDistrict(pgsql);
    const dir = tempDir('classedge-rollout-dl-');
    try {
      await enrolDataDir(d.receiver, d.url, dir.path, 'rd-dl', 'east');
      const t = await startTestAppliance(
        'appliance: { id: rd-dl }\nsync: { allowPlainHttp: true, intervalMs: 3600000, heartbeatSeconds: 3600 }\nupdate: { downloadKbps: 8000 }\ntimetable: { schoolDays: [] }',
        { keepDir: dir.path },
      );
      try {
        const tree = join(dir.path, 'tree');
        goodTree(tree, '2.0.0', join(dir.path, 'marker'));
        const { writeFileSync } = await import('node:fs');
        const { randomBytes } = await import('node:crypto');
        writeFileSync(join(tree, 'pad.bin'), randomBytes(2 * 1024 * 1024));
        const file = join(dir.path, 'b.update');
        makeBundle(tree, { version: '2.0.0' }, await d.receiver.signingKey(), file);
        const bytes = readFileSync(file);
        const made = await cli(
          'rollout',
          'create',
          '--bundle',
          file,
          '--ring',
          'list:rd-dl',
          '--window',
          'any',
          '--max-failure-share',
          '0',
          '--json',
        );
        assert.equal(made.code, 0, made.err);
        const rollout = JSON.parse(made.out) as RolloutRow;
        const offer: UpdateOffer = {
          rolloutId: rollout.id,
          sha256: rollout.bundle,
          size: bytes.length,
          version: '2.0.0',
          path: `/v1/bundles/${rollout.bundle}`,
        };
        // Cut after a second: 8000 kbit/s is 1 MB/s, so about half of the 2 MB.
        const out = join(dir.path, 'manual.part');
        const ac = new AbortController();
        setTimeout(() => ac.abort(), 1000).unref();
        const started = Date.now();
        await assert.rejects(t.appliance.sync.downloadBundle(offer, out, 0, ac.signal));
        const have = statSync(out).size;
        assert.ok(have > 0 && have < bytes.length, `cut half-way: ${have} of ${bytes.length}`);
        const rest = await t.appliance.sync.downloadBundle(offer, out, have);
        assert.equal(rest.status, 206, JSON.stringify(rest));
        assert.equal(rest.received, bytes.length - have, 'only the rest came');
        assert.equal(sha(readFileSync(out)), offer.sha256);
        const took = Date.now() - started;
        assert.ok(took >= 1500, `the cap held: ${bytes.length} bytes took ${took} ms`);

        // The stored bytes tampered with (a disk fault, an intruder): the appliance refuses and reports.
        await d.receiver.pool.query("UPDATE update_bundles SET bytes = overlay(bytes PLACING '\\x00'::bytea FROM 500)");
        await t.appliance.sync.heartbeatNow();
        const [r] = await waitFor(
          async () => {
            const rows = await rollouts(d);
            return rows[0]?.state === 'halted' ? rows : undefined;
          },
          'the rollout halted by the refused bundle',
          60_000,
          200,
        );
        assert.deepEqual(r?.counts, { failed: 1 });
        const outcome = (await d.receiver.rollouts.outcomes('rd-dl'))[0];
        assert.match(outcome?.detail ?? '', /does not match the offer/);
        assert.equal(existsSync(join(dir.path, 'updates', 'install-request.json')), false, 'nothing asked to install');
        assert.equal(existsSync(join(dir.path, 'updates', `${offer.sha256}.part`)), false, 'the bad download is gone');
      } finally {
        await t.stop();
      }
    } finally {
      await d.stop();
      dir.cleanup();
    }
  },
);

test(
  'acceptance: a rollout to a ring of two appliances updates both; a third with a bundle that fails its health check rolls back, reports it, and its rollout halts',
  { timeout: 600_000 },
  async () => {
    const d = await startDistrict(pgsql);
    const dir = tempDir('classedge-rollout-accept-');
    const benches: Awaited<ReturnType<typeof bench>>[] = [];
    try {
      const key = await d.receiver.signingKey();
      // Bundles first (bench trees), rollouts before the appliances start: their first heartbeat gets the offer.
      const yaml =
        'sync: { allowPlainHttp: true, intervalMs: 3600000, heartbeatSeconds: 3600 }\ntimetable: { schoolDays: [] }';
      const made: string[] = [];
      const start = (id: string, school: string): Promise<Awaited<ReturnType<typeof bench>>> =>
        bench(join(dir.path, id), {
          applianceId: id,
          yaml,
          fleetTimeoutS: 20,
          enrol: async (data, applianceId) => {
            await enrolDataDir(d.receiver, d.url, data, applianceId, school);
            return key;
          },
        });
      // The bundles are made by a bench's helper (its marker file is per bench; the trees are the same).
      const { mkdirSync } = await import('node:fs');
      mkdirSync(join(dir.path, 'bundles'), { recursive: true });
      const { badTree } = await import('../helpers/update-bench.js');
      const marker = join(dir.path, 'bundles', 'marker');
      for (const [v, tree] of [
        ['2.0.0', goodTree],
        ['3.0.0', badTree],
      ] as const) {
        tree(join(dir.path, 'bundles', v), v, marker);
        const out = join(dir.path, 'bundles', `${v}.update`);
        makeBundle(join(dir.path, 'bundles', v), { version: v }, key, out);
        made.push(out);
      }
      // The tests share one database: this test's rollouts are the ones made from here on.
      const earlier = Math.max(0, ...(await rollouts(d)).map((r) => r.id));
      // Enrolment comes first: a school ring counts who is enrolled when it is asked.
      const good = await cli(
        'rollout',
        'create',
        '--bundle',
        made[0] ?? '',
        '--ring',
        'school:accept-north',
        '--window',
        'any',
        '--max-failure-share',
        '0.2',
      );
      assert.equal(good.code, 0, good.err);
      const bad = await cli(
        'rollout',
        'create',
        '--bundle',
        made[1] ?? '',
        '--ring',
        'school:accept-south',
        '--window',
        'any',
        '--max-failure-share',
        '0.2',
      );
      assert.equal(bad.code, 0, bad.err);
      // Schools of their own: the tests share one database, and the first one enrolled boxes in 'north'.
      benches.push(
        ...(await Promise.all([
          start('acc-a', 'accept-north'),
          start('acc-b', 'accept-north'),
          start('acc-c', 'accept-south'),
        ])),
      );
      const settled = await waitFor(
        async () => {
          const rows = (await rollouts(d)).filter((r) => r.id > earlier);
          return rows.length === 2 && rows.every((r) => r.state !== 'active') ? rows : undefined;
        },
        'both rollouts settled',
        480_000,
        1000,
      );
      const byVersion = new Map(settled.map((r) => [r.version, r]));
      assert.equal(byVersion.get('2.0.0')?.state, 'done', JSON.stringify(settled));
      assert.deepEqual(byVersion.get('2.0.0')?.counts, { installed: 2 });
      assert.equal(byVersion.get('3.0.0')?.state, 'halted', JSON.stringify(settled));
      assert.deepEqual(byVersion.get('3.0.0')?.counts, { 'rolled-back': 1 });
      const [a, b, c] = benches as [
        Awaited<ReturnType<typeof bench>>,
        Awaited<ReturnType<typeof bench>>,
        Awaited<ReturnType<typeof bench>>,
      ];
      // The markers are the benches' own: what each box serves now.
      assert.equal(readFileSync(join(a.root, 'current', 'package.json'), 'utf8').includes('2.0.0'), true);
      assert.equal(readFileSync(join(b.root, 'current', 'package.json'), 'utf8').includes('2.0.0'), true);
      assert.equal(readFileSync(join(c.root, 'current', 'package.json'), 'utf8').includes('1.0.0'), true);
      assert.equal(await c.health(), 200, 'the rolled-back box serves');
      const outcome = (await d.receiver.rollouts.outcomes('acc-c'))[0];
      assert.equal(outcome?.state, 'rolled-back');
      assert.match(outcome?.detail ?? '', /3\.0\.0 rolled back to 1\.0\.0: .*not healthy within 20 s/);
      assert.equal(outcome?.version, '1.0.0');

      // The console shows the rollouts as the district IT technician sees them, in Chromium.
      const browser = await launchChromium();
      try {
        const c = await d.receiver.listenConsole(0, '127.0.0.1', { offlineAfterMs: 15 * 60_000 });
        const password = 'district-Passw0rd';
        await new ConsoleStore(d.receiver.pool).putUser(
          { username: 'wang', role: 'district-it', school: '' },
          await hashSecret(password),
        );
        const page = await browser.newPage({ locale: 'zh-CN' });
        await page.goto(`http://127.0.0.1:${c.port}/console/#/rollouts`);
        await page.fill('input[name=username]', 'wang');
        await page.fill('input[name=password]', password);
        await page.click('button[type=submit]');
        await page.click('a[href="#/rollouts"]');
        const rowOf = (v: RolloutRow | undefined) => page.locator(`tr[data-rollout="${v?.id}"]`);
        const goodRow = await rowOf(byVersion.get('2.0.0')).innerText();
        assert.match(
          goodRow,
          /2\.0\.0[\s\S]*学校 accept-north[\s\S]*已完成[\s\S]*范围内全部 2 台都已报告[\s\S]*已安装 2 \/ 2/,
          goodRow,
        );
        const badRow = await rowOf(byVersion.get('3.0.0')).innerText();
        assert.match(
          badRow,
          /3\.0\.0[\s\S]*已暂停[\s\S]*已报告 1 台，其中 1 台失败或回退，超过上限 20 %，已自动暂停[\s\S]*已回退 1 \/ 1/,
          badRow,
        );
        // A person halts an active rollout from the page (a pilot ring with no pilot: nobody is offered it).
        const pilot = await cli('rollout', 'create', '--bundle', made[0] ?? '', '--ring', 'pilot', '--window', 'any');
        assert.equal(pilot.code, 0, pilot.err);
        const active = (await rollouts(d))[0];
        await page.reload();
        await page.click(`[data-testid=halt-${active?.id}]`);
        await page.fill(`tr[data-rollout="${active?.id}"] input[name=reason]`, '先观察一周');
        await page.click(`tr[data-rollout="${active?.id}"] button[type=submit]`);
        await page.waitForSelector(`tr[data-rollout="${active?.id}"] [data-testid=reason]`);
        assert.match(await rowOf(active).innerText(), /已暂停[\s\S]*wang 手动暂停：先观察一周/);
        assert.equal((await rollouts(d))[0]?.state, 'halted');
        const out = join(ROOT, 'test-output', 'screenshots');
        mkdirSync(out, { recursive: true });
        await page.setViewportSize({ width: 1500, height: 600 });
        await page.screenshot({ path: join(out, 'district-rollouts.png') });
        // The rolled-back box's own page says what happened to it.
        await page.goto(`http://127.0.0.1:${c.port}/console/#/appliance/acc-c`);
        await page.waitForSelector('[data-testid=updates]');
        assert.match(
          await page.locator('[data-testid=updates]').innerText(),
          /已回退 — 3\.0\.0 rolled back to 1\.0\.0/,
        );
      } finally {
        await browser.close();
      }
    } finally {
      for (const b of benches) await b.stop();
      await d.stop();
      dir.cleanup();
    }
  },
);
