import { suite, test } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { createServer, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { startTestAppliance, seedAccounts, ADMIN, TEACHER, type TestAppliance } from '../helpers/appliance.js';
import { ApiClient } from '../helpers/api-client.js';
import { CLI, tempDir, waitFor } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { DEVICE_COST, PERSON_COST, hashSecret, pinProblem } from '../../edge/security/secrets.js';
import { LoginThrottle, sourceKey } from '../../edge/security/login-throttle.js';
import { withDbFile } from '../helpers/sqlite.js';

const TIMEOUT = { timeout: 200_000 };

/** This machine's address on the LAN: requests to it come from a non-loopback source, as a phone's would. */
function lanAddress(): string {
  const a = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  assert.ok(a, 'these tests need a non-loopback IPv4 interface to play the classroom LAN');
  return a.address;
}

async function withAppliance(
  yaml: string,
  fn: (t: TestAppliance) => Promise<void>,
  extra: { httpHost?: string } = {},
): Promise<void> {
  const t = await startTestAppliance(yaml, extra);
  try {
    await fn(t);
  } finally {
    await t.stop();
  }
}

const loginsChecked = (t: TestAppliance): number =>
  t.appliance.store.audit
    .list({ limit: 1000, action: 'login.teacher' })
    .filter((r) => /^wrong secret/.test(String((r.detail as { why?: string }).why))).length;

// Both wait for a one-minute setting to pass; side by side they cost one minute, not two.
suite('time limits', { concurrency: true }, () => {
  test(
    '200 wrong PINs and the right one at once: at most maxFailedLogins are checked, the right one is refused while locked, and works once the lock ends',
    TIMEOUT,
    async () => {
      await withAppliance('auth: { maxFailedLogins: 5, lockoutMinutes: 1, sourceMaxFailedLogins: 1000 }', async (t) => {
        await seedAccounts(t);
        const wrong = Array.from({ length: 200 }, (_, i) =>
          String(100000 + ((i * 7919) % 899999)).replace(TEACHER.pin, '000001'),
        );
        const all = await Promise.all([
          ...wrong.map((pin) =>
            new ApiClient(t.httpUrl).post('/api/v1/session/teacher', { username: TEACHER.username, pin }),
          ),
          new ApiClient(t.httpUrl).post('/api/v1/session/teacher', { username: TEACHER.username, pin: TEACHER.pin }),
        ]);
        const right = all.pop();
        const count = (s: number): number => all.filter((r) => r.status === s).length;
        assert.ok(count(401) <= 5, `401s: ${count(401)}`);
        // 423: locked; 429: more than auth.loginQueueMax waiting for a check at once.
        assert.equal(
          count(401) + count(423) + count(429),
          200,
          `only 401, 423 and 429: ${[...new Set(all.map((r) => r.status))].join(',')}`,
        );
        assert.ok(count(423) >= 1);
        assert.ok(loginsChecked(t) <= 5, `PINs checked: ${loginsChecked(t)}`);
        assert.ok(
          right?.status === 423 || right?.status === 429,
          `the right PIN gets no session while the account is locked: ${right?.status}`,
        );
        assert.ok(Number(right?.headers.get('retry-after')) > 0);
        // Still locked: the right PIN is refused again, and not even hashed.
        assert.equal(
          (
            await new ApiClient(t.httpUrl).post('/api/v1/session/teacher', {
              username: TEACHER.username,
              pin: TEACHER.pin,
            })
          ).status,
          423,
        );
        const lockEnds = t.appliance.store.users.byUsername(TEACHER.username)?.lockedUntil ?? 0;
        await waitFor(() => Date.now() > lockEnds + 50, 'the one-minute lock to end', 90_000, 500);
        const after = await new ApiClient(t.httpUrl).post('/api/v1/session/teacher', {
          username: TEACHER.username,
          pin: TEACHER.pin,
        });
        assert.equal(after.status, 200, JSON.stringify(after.body));
        assert.equal(
          t.appliance.store.users.byUsername(TEACHER.username)?.failedLogins,
          0,
          'a right PIN resets the count',
        );
      });
    },
  );

  test('sessions end after their absolute lifetime however active they are', TIMEOUT, async () => {
    await withAppliance('auth: { teacherSessionMaxMinutes: 1, teacherSessionIdleMinutes: 480 }', async (t) => {
      await seedAccounts(t);
      const teacher = new ApiClient(t.httpUrl);
      await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
      const loggedIn = Date.now();
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      await waitFor(
        async () => (await teacher.get('/api/v1/readings/latest')).status === 401,
        'the teacher session to reach its lifetime',
        120_000,
        2000,
      );
      assert.ok(Date.now() - loggedIn >= 60_000, 'not before the lifetime');
      assert.equal(
        (await admin.get('/api/v1/session')).body.authenticated,
        true,
        "the admin's own lifetime (720 min) is untouched",
      );
    });
  });
});

test(
  'one source address may not spray PINs across accounts: 429 with Retry-After, and the kiosk itself still logs in',
  TIMEOUT,
  async () => {
    const lan = lanAddress();
    await withAppliance(
      'auth: { maxFailedLogins: 5, sourceMaxFailedLogins: 6 }',
      async (t) => {
        await seedAccounts(t);
        const { addUser } = await import('../../edge/services/accounts.js');
        for (const [i, pin] of ['739164', '604182', '593817'].entries()) {
          await addUser(t.appliance.store, t.config, { username: `t${i}`, role: 'teacher', secret: pin }, 'test');
        }
        const lanUrl = t.httpUrl.replace('127.0.0.1', lan);
        // Two wrong PINs for each of four teachers from one phone: no account reaches its lock.
        const statuses: number[] = [];
        for (const u of ['t0', 't1', 't2', TEACHER.username]) {
          for (const pin of ['135790', '246801'])
            statuses.push((await new ApiClient(lanUrl).post('/api/v1/session/teacher', { username: u, pin })).status);
        }
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 401, 429, 429]);
        const refused = await new ApiClient(lanUrl).post('/api/v1/session/teacher', {
          username: TEACHER.username,
          pin: TEACHER.pin,
        });
        assert.equal(refused.status, 429, 'the right PIN from the spraying phone waits too');
        assert.equal(refused.body.error, 'too_many_attempts');
        assert.ok(Number(refused.headers.get('retry-after')) > 0);
        // Only the first refusal of the window is audited: a flood of 429s does not fill the disk.
        for (let i = 0; i < 20; i++)
          await new ApiClient(lanUrl).post('/api/v1/session/teacher', { username: 't0', pin: '135790' });
        const throttled = t.appliance.store.audit
          .list({ limit: 1000, action: 'login.teacher' })
          .filter((r) => (r.detail as { why?: string }).why === 'too many attempts from this address');
        assert.equal(throttled.length, 1);
        // Another source (the kiosk's own browser) is not affected.
        await new ApiClient(t.httpUrl).loginTeacher(TEACHER.username, TEACHER.pin);
      },
      { httpHost: '0.0.0.0' },
    );
  },
);

test(
  'a phone on the LAN locks a teacher out of LAN logins, not out of the classroom panel (loopback); an admin lifts a lock by enabling',
  TIMEOUT,
  async () => {
    const lan = lanAddress();
    await withAppliance(
      'auth: { maxFailedLogins: 3, sourceMaxFailedLogins: 100 }',
      async (t) => {
        await seedAccounts(t);
        const lanUrl = t.httpUrl.replace('127.0.0.1', lan);
        const s: number[] = [];
        for (const pin of ['135790', '246801', '975310', '864200'])
          s.push(
            (await new ApiClient(lanUrl).post('/api/v1/session/teacher', { username: TEACHER.username, pin })).status,
          );
        assert.deepEqual(s, [401, 401, 423, 423]);
        assert.equal(
          (
            await new ApiClient(lanUrl).post('/api/v1/session/teacher', {
              username: TEACHER.username,
              pin: TEACHER.pin,
            })
          ).status,
          423,
        );
        await new ApiClient(t.httpUrl).loginTeacher(TEACHER.username, TEACHER.pin);
        const admin = new ApiClient(t.httpUrl);
        await admin.loginAdmin(ADMIN.username, ADMIN.password);
        assert.ok(
          (await admin.get('/api/v1/users')).body.find((u: { username: string }) => u.username === TEACHER.username)
            .lockedUntil > Date.now(),
          'the console shows the lock',
        );
        assert.equal((await admin.put(`/api/v1/users/${TEACHER.username}/disabled`, { disabled: false })).status, 200);
        await new ApiClient(lanUrl).loginTeacher(TEACHER.username, TEACHER.pin);
      },
      { httpHost: '0.0.0.0' },
    );
  },
);

test(
  'a burst of logins waits for a bounded number of hash slots; the surplus is refused at once, and no slot leaks',
  TIMEOUT,
  async () => {
    await withAppliance(
      'auth: { loginHashConcurrency: 1, loginQueueMax: 2, sourceMaxFailedLogins: 1000 }',
      async (t) => {
        await seedAccounts(t);
        const burst = await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            new ApiClient(t.httpUrl).post('/api/v1/session/teacher', { username: `nobody-${i}`, pin: '135790' }),
          ),
        );
        const refused = burst.filter((r) => r.status === 429);
        assert.ok(
          burst.every((r) => r.status === 401 || r.status === 429),
          burst.map((r) => r.status).join(','),
        );
        assert.ok(refused.length >= 1, 'a full queue refuses');
        assert.ok(refused.every((r) => r.headers.get('retry-after') === '1'));
        const checked = t.appliance.store.audit
          .list({ limit: 1000, action: 'login.teacher' })
          .filter((r) => (r.detail as { why?: string }).why === 'unknown user or wrong role');
        assert.equal(checked.length, 30 - refused.length, 'a refused login was never hashed');
        // Every slot came back: logins still go through one after another.
        for (let i = 0; i < 4; i++) await new ApiClient(t.httpUrl).loginTeacher(TEACHER.username, TEACHER.pin);
      },
    );
  },
);

test(
  'the list of teachers goes only to the kiosk itself (loopback) or a logged-in user; from the LAN the username is typed',
  TIMEOUT,
  async () => {
    const lan = lanAddress();
    await withAppliance(
      '',
      async (t) => {
        await seedAccounts(t);
        const local = await new ApiClient(t.httpUrl).get('/api/v1/teachers');
        assert.equal(local.status, 200);
        assert.deepEqual(local.body, [{ username: TEACHER.username, displayName: '李老师' }]);
        const lanUrl = t.httpUrl.replace('127.0.0.1', lan);
        const anon = await new ApiClient(lanUrl).get('/api/v1/teachers');
        assert.equal(anon.status, 403);
        assert.ok(!Array.isArray(anon.body));
        assert.doesNotMatch(JSON.stringify(anon.body), /李老师|"li"/);
        const teacher = new ApiClient(lanUrl);
        await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
        assert.equal((await teacher.get('/api/v1/teachers')).status, 200);
      },
      { httpHost: '0.0.0.0' },
    );
  },
);

test(
  'first-run setup: only from loopback, twenty at once make exactly one admin, a foreign Host header is refused',
  TIMEOUT,
  async () => {
    const lan = lanAddress();
    await withAppliance(
      '',
      async (t) => {
        const lanUrl = t.httpUrl.replace('127.0.0.1', lan);
        const fromLan = await new ApiClient(lanUrl).post('/api/v1/setup/admin', {
          username: 'lan-admin',
          password: 'Lan-Admin-2026!',
        });
        assert.equal(fromLan.status, 403);
        // A page on evil.example whose name now points at the appliance (DNS rebinding): its Host is its own name.
        const rebound = await rawRequest(
          t.httpUrl,
          'POST',
          '/api/v1/setup/admin',
          { host: 'evil.example:8080', 'content-type': 'application/json' },
          JSON.stringify({ username: 'evil', password: 'Evil-Admin-2026!' }),
        );
        assert.equal(rebound.status, 421);
        assert.equal(
          (await rawRequest(t.httpUrl, 'GET', '/api/v1/health', { host: 'evil.example' })).status,
          421,
          'every route checks Host',
        );
        for (const host of [
          'localhost',
          `127.0.0.1:${new URL(t.httpUrl).port}`,
          `[::1]:${new URL(t.httpUrl).port}`,
          lan,
        ]) {
          assert.equal((await rawRequest(t.httpUrl, 'GET', '/api/v1/health', { host })).status, 200, host);
        }
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            new ApiClient(t.httpUrl).post('/api/v1/setup/admin', {
              username: `first-${i}`,
              password: `First-Admin-${i}-2026!`,
            }),
          ),
        );
        const made = results.filter((r) => r.status === 201);
        assert.equal(made.length, 1, results.map((r) => r.status).join(','));
        assert.ok(results.every((r) => r.status === 201 || r.status === 409));
        assert.equal(t.appliance.store.users.list('admin').length, 1);
        assert.equal(t.appliance.store.users.list('admin')[0]?.username, made[0]?.body.username);
      },
      { httpHost: '0.0.0.0' },
    );
  },
);

test(
  'disable, enable and delete accounts: sessions end at once, the last enabled admin stays, every change audited',
  TIMEOUT,
  async () => {
    await withAppliance('', async (t) => {
      await seedAccounts(t);
      const admin = new ApiClient(t.httpUrl);
      await admin.loginAdmin(ADMIN.username, ADMIN.password);
      const teacher = new ApiClient(t.httpUrl);
      await teacher.loginTeacher(TEACHER.username, TEACHER.pin);
      assert.equal((await teacher.get('/api/v1/session')).body.authenticated, true);

      const off = await admin.put(`/api/v1/users/${TEACHER.username}/disabled`, { disabled: true });
      assert.equal(off.status, 200);
      assert.equal(off.body.disabled, true);
      assert.equal(
        (await teacher.get('/api/v1/session')).body.authenticated,
        false,
        'the disabled teacher is logged out at once',
      );
      assert.equal((await teacher.get('/api/v1/readings/latest')).status, 401);
      assert.equal(
        (
          await new ApiClient(t.httpUrl).post('/api/v1/session/teacher', {
            username: TEACHER.username,
            pin: TEACHER.pin,
          })
        ).status,
        401,
      );
      assert.deepEqual((await new ApiClient(t.httpUrl).get('/api/v1/teachers')).body, [], 'not offered on the panel');
      assert.equal((await admin.put(`/api/v1/users/${TEACHER.username}/disabled`, { disabled: false })).status, 200);
      await teacher.loginTeacher(TEACHER.username, TEACHER.pin);

      assert.equal((await admin.delete(`/api/v1/users/${TEACHER.username}`)).status, 200);
      assert.equal(
        (await teacher.get('/api/v1/session')).body.authenticated,
        false,
        'the deleted teacher is logged out at once',
      );
      assert.equal(
        (
          await new ApiClient(t.httpUrl).post('/api/v1/session/teacher', {
            username: TEACHER.username,
            pin: TEACHER.pin,
          })
        ).status,
        401,
      );
      assert.equal((await admin.delete(`/api/v1/users/${TEACHER.username}`)).status, 404);

      const last = await admin.put(`/api/v1/users/${ADMIN.username}/disabled`, { disabled: true });
      assert.equal(last.status, 409, JSON.stringify(last.body));
      assert.match(last.body.message, /last enabled admin/);
      assert.equal((await admin.delete(`/api/v1/users/${ADMIN.username}`)).status, 409);
      assert.equal(
        (await admin.get('/api/v1/session')).body.authenticated,
        true,
        'the refused change left the admin in',
      );

      const actions = t.appliance.store.audit.list({ limit: 100 }).map((r) => `${r.action} ${r.target}`);
      for (const a of [
        `user.disable ${TEACHER.username}`,
        `user.enable ${TEACHER.username}`,
        `user.remove ${TEACHER.username}`,
      ])
        assert.ok(actions.includes(a), a);
    });
  },
);

test('classedge user disable | enable | remove', TIMEOUT, async () => {
  const dir = tempDir();
  try {
    const env = { CLASSEDGE_DATA_DIR: dir.path };
    const cli = (args: string[], input = '') => run(process.execPath, [CLI, 'user', ...args], { env, input });
    assert.equal((await cli(['add', 'it-li', '--role', 'admin'], 'Adm1n-Passw0rd!\n')).code, 0);
    assert.equal((await cli(['add', 'wang', '--role', 'teacher'], '593817\n')).code, 0);
    const last = await cli(['disable', 'it-li']);
    assert.notEqual(last.code, 0);
    assert.match(last.err, /last enabled admin/);
    assert.equal((await cli(['disable', 'wang'])).code, 0);
    const listed = JSON.parse((await cli(['list', '--json'])).out) as { username: string; disabled: boolean }[];
    assert.equal(listed.find((u) => u.username === 'wang')?.disabled, true);
    assert.equal((await cli(['enable', 'wang'])).code, 0);
    assert.equal((await cli(['remove', 'wang'])).code, 0);
    assert.deepEqual(
      (JSON.parse((await cli(['list', '--json'])).out) as { username: string }[]).map((u) => u.username),
      ['it-li'],
    );
  } finally {
    dir.cleanup();
  }
});

test('weak PINs are refused on every path that sets one', TIMEOUT, async () => {
  for (const pin of ['111111', '123456', '654321', '121212', '123123', '12345', '12a456'])
    assert.ok(pinProblem(pin, 6), pin);
  assert.equal(pinProblem('482916', 6), undefined);
  await withAppliance('', async (t) => {
    await seedAccounts(t);
    const admin = new ApiClient(t.httpUrl);
    await admin.loginAdmin(ADMIN.username, ADMIN.password);
    const add = await admin.post('/api/v1/users', { username: 'zhao', role: 'teacher', secret: '121212' });
    assert.equal(add.status, 400);
    assert.equal(add.body.issues[0].path, '/pin');
    const reset = await admin.put(`/api/v1/users/${TEACHER.username}/secret`, { secret: '123123' });
    assert.equal(reset.status, 400);
    assert.equal(reset.body.issues[0].path, '/pin');
  });
});

test(
  'scrypt: new hashes at N=2^17, old N=2^14 hashes still verify and are re-hashed at the first login',
  TIMEOUT,
  async (ctx) => {
    assert.match(await hashSecret('x'), new RegExp(`^scrypt\\$${PERSON_COST.N}\\$8\\$1\\$`));
    assert.equal(PERSON_COST.N, 2 ** 17);
    await withAppliance('', async (t) => {
      await seedAccounts(t);
      // A hash as the previous release stored it.
      const oldHash = await hashSecret(TEACHER.pin, DEVICE_COST);
      withDbFile(
        t.dataDir,
        (db) => db.prepare('UPDATE users SET secret_hash = ? WHERE username = ?').run(oldHash, TEACHER.username),
        { write: true },
      );
      assert.match(t.appliance.store.users.byUsername(TEACHER.username)?.secretHash ?? '', /^scrypt\$16384\$/);
      const started = Date.now();
      await new ApiClient(t.httpUrl).loginTeacher(TEACHER.username, TEACHER.pin);
      ctx.diagnostic(`login with verify at 2^14 and re-hash at 2^17: ${Date.now() - started} ms`);
      assert.match(t.appliance.store.users.byUsername(TEACHER.username)?.secretHash ?? '', /^scrypt\$131072\$8\$1\$/);
      const again = Date.now();
      await new ApiClient(t.httpUrl).loginTeacher(TEACHER.username, TEACHER.pin);
      ctx.diagnostic(`login with verify at 2^17: ${Date.now() - again} ms`);
    });
  },
);

test('the login throttle forgets the oldest source first and counts an IPv6 /64 as one source', () => {
  const th = new LoginThrottle({ maxAttempts: 2, windowMs: 60_000, maxSources: 16 });
  for (let i = 0; i < 1000; i++) th.reserve(`10.0.${i >> 8}.${i & 255}`, 1000 + i);
  assert.equal(th.size, 16);
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
  assert.notEqual(sourceKey('2001:db8:1:2::1'), sourceKey('2001:db8:1:3::1'));
  assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(th.reserve('2001:db8:1:2::1', 0).ok, true);
  assert.equal(th.reserve('2001:db8:1:2::2', 0).ok, true);
  assert.equal(th.reserve('2001:db8:1:2:ffff::3', 0).ok, false);
});

test(
  'enrol reads its one-time token from standard input or a file; --token still works but warns that ps shows it',
  TIMEOUT,
  async () => {
    const dir = tempDir();
    const tokens: string[] = [];
    const district = createServer((req, res) => {
      if (req.url !== '/v1/enrol') {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not here' }));
        return;
      }
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const asked = JSON.parse(body) as { token: string; applianceId: string };
        tokens.push(asked.token);
        // What a district answers (cloud-sync/protocol.ts EnrolAnswer): the appliance's id and its key.
        res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ applianceId: asked.applianceId, districtPublicKey: 'test-district-key' }));
      });
    });
    await new Promise<void>((r) => district.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(district.address() as AddressInfo).port}`;
      const config = join(dir.path, 'config.yaml');
      // The stub district is plain HTTP on loopback: allowed only with sync.allowPlainHttp.
      writeFileSync(
        config,
        `dataDir: ${JSON.stringify(dir.path)}\nappliance: { id: room-101 }\nsync: { allowPlainHttp: true }\n`,
      );
      const stdin = await run(process.execPath, [CLI, 'enrol', '--district', url, '--config', config], {
        input: 'tok-from-stdin\n',
      });
      assert.equal(stdin.code, 0, stdin.err);
      assert.doesNotMatch(stdin.err, /warning/);
      const file = join(dir.path, 'token');
      writeFileSync(file, 'tok-from-file\n', { mode: 0o600 });
      assert.equal(
        (await run(process.execPath, [CLI, 'enrol', '--district', url, '--token-file', file, '--config', config])).code,
        0,
      );
      const flag = await run(process.execPath, [
        CLI,
        'enrol',
        '--district',
        url,
        '--token',
        'tok-on-argv',
        '--config',
        config,
        '--lang',
        'en',
      ]);
      assert.equal(flag.code, 0, flag.err);
      assert.match(flag.err, /--token is visible .*ps/);
      const none = await run(process.execPath, [CLI, 'enrol', '--district', url, '--config', config, '--lang', 'en'], {
        input: '',
      });
      assert.notEqual(none.code, 0);
      assert.match(none.err, /enrolment token/);
      assert.deepEqual(tokens, ['tok-from-stdin', 'tok-from-file', 'tok-on-argv']);
      // provision takes the same file; its enrol step sends the token (the stub district has no configuration to give).
      writeFileSync(file, 'tok-for-provision\n', { mode: 0o600 });
      const box = join(dir.path, 'box');
      mkdirSync(box);
      writeFileSync(join(box, 'config.yaml'), 'sync: { allowPlainHttp: true }\n');
      const prov = await run(process.execPath, [
        CLI,
        'provision',
        '--district',
        url,
        '--token-file',
        file,
        '--id',
        'room-202',
        '--config',
        join(box, 'config.yaml'),
        '--data-dir',
        box,
        '--json',
      ]);
      assert.doesNotMatch(prov.err, /warning/);
      const steps = (JSON.parse(prov.out) as { steps: { step: string; status: string }[] }).steps;
      assert.equal(steps.find((s) => s.step === 'enrol')?.status, 'done', prov.out);
      assert.equal(tokens.at(-1), 'tok-for-provision');
    } finally {
      district.close();
      dir.cleanup();
    }
  },
);

/** An HTTP request with a Host header of our choosing (fetch will not send a foreign one). */
function rawRequest(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: u.hostname,
        port: u.port,
        method,
        path,
        headers: { ...headers, ...(body ? { 'content-length': String(Buffer.byteLength(body)) } : {}) },
        setHost: false,
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(body);
  });
}
