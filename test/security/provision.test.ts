import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import Database from 'better-sqlite3';
import { CLI, ROOT, freePort, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';
import { spawnAppliance, healthy } from '../helpers/child.js';
import type { DistrictReceiver } from '../../cloud-sync/server/district.js';
import { startDistrict, type TestDistrict } from '../helpers/district.js';
import { applianceKey, readEnrolment } from '../../edge/sync/keys.js';
import { langFromEnv, resolveLang } from '../../edge/cli/lang.js';
import { waitFor } from '../helpers/env.js';
import { X509Certificate } from 'node:crypto';
import { connect as netConnect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { isLoopback } from '../../edge/security/listeners.js';
import { listeningSockets, tlsFingerprint } from '../helpers/listeners.js';

/** Resolves once a TCP connection to host:port opens (then closes it); rejects with the connect error. */
function tcpOpen(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, host, () => {
      s.destroy();
      resolve();
    });
    s.setTimeout(5000, () => s.destroy(new Error(`no answer from ${host}:${port}`)));
    s.on('error', reject);
  });
}
import type { ProvisionResult } from '../../edge/provision/provision.js';

const DISTRICT_CLI = join(ROOT, 'bin', 'classedge-district.js');
/** The test district is plain HTTP on loopback: allowed only with this setting. */
const PLAIN_HTTP = 'sync: { allowPlainHttp: true }\n';
const PASSWORD = 'Classr00m-Admin!';

let fixture: TestDistrict;
let receiver: DistrictReceiver;
let url: string;
before(async () => {
  fixture = await startDistrict();
  ({ receiver, url } = fixture);
});
after(() => fixture.stop());

const stepsOf = (r: ProvisionResult): Record<string, string> =>
  Object.fromEntries(r.steps.map((s) => [s.step, s.status]));

test('bulk files from a classrooms CSV, then provision a fresh box: enrolled, first config applied, admin made, doctor green; a second run changes nothing', async () => {
  const dir = tempDir('classedge-provision-');
  try {
    const csv = join(dir.path, 'classrooms.csv');
    writeFileSync(
      csv,
      'id,district,school,grade,class,room,name\nroom-101,海淀区,实验小学,初二,3班,A-203,初二(3)班\nroom-102,海淀区,实验小学,初二,4班,A-204,"初二(4)班"\n',
    );
    const settings = join(dir.path, 'school.yaml');
    writeFileSync(settings, 'kiosk: { idleLockSeconds: 600 }\n');
    const out = join(dir.path, 'boxes');
    const bulk = await run(process.execPath, [
      DISTRICT_CLI,
      'provision-bulk',
      csv,
      '--out',
      out,
      '--district-url',
      url,
      '--config',
      settings,
      '--database',
      fixture.pgsql.url,
    ]);
    assert.equal(bulk.code, 0, bulk.err);
    const file = join(out, 'room-101.yaml');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'a file holding a token is private');
    const spec = parse(readFileSync(file, 'utf8')) as {
      district: { url: string; token: string };
      classroom: { school: string };
    };
    assert.equal(spec.district.url, url);
    assert.equal(spec.classroom.school, '实验小学');

    const data = join(dir.path, 'data');
    const config = join(dir.path, 'config.yaml');
    // The test district listens on loopback over plain HTTP.
    writeFileSync(config, PLAIN_HTTP);
    writeFileSync(join(dir.path, 'config2.yaml'), PLAIN_HTTP);
    const ports = {
      CLASSEDGE_HTTP_PORT: String(await freePort()),
      CLASSEDGE_MQTT_PORT: String(await freePort()),
      CLASSEDGE_HTTPS_PORT: String(await freePort()),
      CLASSEDGE_MQTTS_PORT: String(await freePort()),
    };
    const args = [
      CLI,
      'provision',
      '--file',
      file,
      '--config',
      config,
      '--data-dir',
      data,
      '--admin',
      'it-admin',
      '--json',
    ];
    const first = await run(process.execPath, args, { env: ports, input: `${PASSWORD}\n` });
    assert.equal(first.code, 0, first.err + first.out);
    const r1 = JSON.parse(first.out) as ProvisionResult;
    assert.deepEqual(stepsOf(r1), {
      identity: 'done',
      keys: 'done',
      tls: 'done',
      enrol: 'done',
      'district-config': 'done',
      admin: 'done',
      'serial-ports': 'skipped',
    });
    const fingerprint = new X509Certificate(readFileSync(join(data, 'tls', 'cert.pem'))).fingerprint256;
    assert.ok(
      r1.steps.find((s) => s.step === 'tls')?.detail.includes(fingerprint),
      'the fingerprint to pin is printed',
    );
    assert.equal(r1.doctor.filter((d) => d.status === 'fail').length, 0, JSON.stringify(r1.doctor));
    assert.equal(statSync(join(data, 'keys', 'appliance.key')).mode & 0o777, 0o600);
    const text = readFileSync(config, 'utf8');
    assert.match(text, /id: room-101/);
    assert.ok(text.includes(`dataDir: ${data}`), 'the data directory given as a flag is in the file');
    assert.match(text, /school: 实验小学/);
    assert.match(text, /idleLockSeconds: 600/, "the district's first configuration is in the file");
    const district = await receiver.pool.query("SELECT public_key, enrolled_at FROM appliances WHERE id = 'room-101'");
    assert.equal(district.rows[0].public_key, applianceKey(data).publicKeyPem, 'the district holds our public key');
    assert.equal(
      (
        await receiver.pool.query(
          "SELECT version || ' ' || result AS r FROM applied_config WHERE appliance_id = 'room-101'",
        )
      ).rows[0].r,
      '1 applied',
    );

    // Again, with the (now used) token: nothing breaks, nothing is made twice.
    const second = await run(process.execPath, args, { env: ports, input: '' });
    assert.equal(second.code, 0, second.err + second.out);
    const r2 = JSON.parse(second.out) as ProvisionResult;
    assert.deepEqual(stepsOf(r2), {
      identity: 'skipped',
      keys: 'skipped',
      tls: 'skipped',
      enrol: 'skipped',
      'district-config': 'skipped',
      admin: 'skipped',
      'serial-ports': 'skipped',
    });
    assert.equal(r2.enrolmentCode, r1.enrolmentCode, 'same key');
    assert.equal(readFileSync(config, 'utf8'), text);
    const db = new Database(join(data, 'classedge.db'), { readonly: true });
    assert.equal((db.prepare("SELECT count(*) AS n FROM users WHERE role = 'admin'").get() as { n: number }).n, 1);
    db.close();
    assert.deepEqual(
      (await receiver.pool.query("SELECT enrolled_at FROM appliances WHERE id = 'room-101'")).rows[0].enrolled_at,
      district.rows[0].enrolled_at,
    );

    // The provisioned box starts and the doctor is green, the API included.
    const app = await spawnAppliance(data, ['--config', config]);
    try {
      await healthy(app);
      const doctor = await run(process.execPath, [CLI, 'doctor', '--json', '--config', config, '--data-dir', data], {
        env: {
          CLASSEDGE_HTTP_PORT: String(app.httpPort),
          CLASSEDGE_MQTT_PORT: String(app.mqttPort),
          CLASSEDGE_HTTPS_PORT: String(app.httpsPort),
          CLASSEDGE_MQTTS_PORT: String(app.mqttsPort),
        },
      });
      const d = JSON.parse(doctor.out) as { ok: boolean; checks: { name: string; status: string; detail: string }[] };
      assert.equal(d.ok, true, doctor.out);
      assert.deepEqual(
        d.checks.filter((c) => c.status !== 'ok'),
        [],
        doctor.out,
      );
      const login = await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/session/admin`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'it-admin', password: PASSWORD }),
      });
      assert.equal(login.status, 200, 'the first admin logs in (on the panel, over loopback)');
      assert.ok(
        d.checks.find((c) => c.name === 'tls')?.detail.includes(fingerprint),
        'the doctor shows the fingerprint to pin',
      );
      assert.ok(
        d.checks.find((c) => c.name === 'tls-listeners')?.detail.includes(fingerprint),
        'the doctor finds it presented on the TLS ports',
      );

      // Acceptance: after provisioning, nothing but loopback listens in plain text. Every socket
      // the appliance process listens on (from /proc) is on loopback, or answers a TLS handshake
      // with the provisioned certificate.
      const sockets = listeningSockets(app.child.pid ?? 0);
      const lan = sockets.filter((x) => !isLoopback(x.host));
      assert.deepEqual(
        lan.map((x) => x.port).sort(),
        [app.httpsPort, app.mqttsPort].sort(),
        `only the TLS ports face the LAN: ${JSON.stringify(sockets)}`,
      );
      for (const x of lan)
        assert.equal(await tlsFingerprint(x.port), fingerprint, `port ${x.port} presents the provisioned certificate`);
      assert.ok(
        sockets.some((x) => x.port === app.httpPort && x.host === '127.0.0.1'),
        'plain HTTP for the panel on loopback',
      );
      assert.ok(
        sockets.some((x) => x.port === app.mqttPort && x.host === '127.0.0.1'),
        'plain MQTT for own services on loopback',
      );
      // From a LAN address of this machine the plain ports do not answer at all.
      for (const addr of Object.values(networkInterfaces()).flat()) {
        if (!addr || addr.internal || addr.family !== 'IPv4') continue;
        for (const port of [app.httpPort, app.mqttPort])
          await assert.rejects(tcpOpen(addr.address, port), /ECONNREFUSED/, `${addr.address}:${port}`);
      }
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }

    // A technician at the second box answers the prompts (piped here; a terminal in the field).
    const spec2 = parse(readFileSync(join(out, 'room-102.yaml'), 'utf8')) as { district: { token: string } };
    const data2 = join(dir.path, 'data2');
    const answers = [
      url,
      spec2.district.token,
      'room-102',
      '初二(4)班',
      '海淀区',
      '实验小学',
      '初二',
      '4班',
      'A-204',
      'admin2',
      PASSWORD,
    ].join('\n');
    const inter = await run(
      process.execPath,
      [
        CLI,
        'provision',
        '--interactive',
        '--lang',
        'en',
        '--config',
        join(dir.path, 'config2.yaml'),
        '--data-dir',
        data2,
        '--json',
      ],
      { env: ports, input: `${answers}\n` },
    );
    assert.equal(inter.code, 0, inter.err + inter.out);
    assert.equal(stepsOf(JSON.parse(inter.out) as ProvisionResult).enrol, 'done');
    assert.match(inter.err, /One-time enrolment token/);
    assert.match(readFileSync(join(dir.path, 'config2.yaml'), 'utf8'), /room: A-204/);
  } finally {
    dir.cleanup();
  }
});

test('provision refuses bad input with the field named, and reports a refused token without half-provisioning', async () => {
  const dir = tempDir('classedge-provision-bad-');
  try {
    const data = join(dir.path, 'data');
    const config = join(dir.path, 'config.yaml');
    writeFileSync(config, PLAIN_HTTP);
    const bad = join(dir.path, 'bad.yaml');
    writeFileSync(bad, 'appliance: { id: Room_1 }\nclassroom: { schol: x }\n');
    const r = await run(process.execPath, [CLI, 'provision', '--file', bad, '--config', config, '--data-dir', data]);
    assert.equal(r.code, 2);
    assert.match(r.err, /\/appliance\/id/);
    assert.match(r.err, /\/classroom\/schol/);

    await receiver.createToken('room-201');
    const wrong = await run(
      process.execPath,
      [
        CLI,
        'provision',
        '--district',
        url,
        '--token',
        'not-a-token',
        '--id',
        'room-201',
        '--admin',
        'it-admin',
        '--config',
        config,
        '--data-dir',
        data,
        '--json',
      ],
      { input: `${PASSWORD}\n` },
    );
    assert.equal(wrong.code, 1);
    const res = JSON.parse(wrong.out) as ProvisionResult;
    assert.equal(stepsOf(res).enrol, 'failed');
    assert.match(res.steps.find((s) => s.step === 'enrol')?.detail ?? '', /used or expired/);
    assert.equal(stepsOf(res).admin, undefined, 'no admin before enrolment worked');

    const csv = join(dir.path, 'c.csv');
    writeFileSync(csv, 'id,school\nroom-1,A\nRoom 2,B\nroom-1,C\n');
    const bulk = await run(process.execPath, [
      DISTRICT_CLI,
      'provision-bulk',
      csv,
      '--out',
      join(dir.path, 'o'),
      '--district-url',
      url,
      '--database',
      fixture.pgsql.url,
    ]);
    assert.equal(bulk.code, 1);
    assert.match(bulk.err, /line 3: id/);
    assert.match(bulk.err, /line 4: id 'room-1' already on line 2/);
    assert.equal(
      (await receiver.pool.query("SELECT count(*)::int AS n FROM enrol_tokens WHERE appliance_id = 'room-1'")).rows[0]
        .n,
      0,
      'no tokens from a bad file',
    );
  } finally {
    dir.cleanup();
  }
});

/** A bare Debian root shell: no locale, or C.UTF-8. */
const C_LOCALE = { LC_ALL: '', LC_MESSAGES: '', LANG: 'C.UTF-8' };
const EN_LOCALE = { LC_ALL: '', LC_MESSAGES: '', LANG: 'en_US.UTF-8' };

test('the language: --lang first, then LC_ALL, LC_MESSAGES, LANG; English only for a locale starting with en', () => {
  assert.equal(langFromEnv({}), 'zh-CN', 'no locale at all');
  assert.equal(langFromEnv({ LANG: 'C' }), 'zh-CN');
  assert.equal(langFromEnv({ LANG: 'C.UTF-8' }), 'zh-CN');
  assert.equal(langFromEnv({ LANG: 'POSIX' }), 'zh-CN');
  assert.equal(langFromEnv({ LANG: 'zh_CN.UTF-8' }), 'zh-CN');
  assert.equal(langFromEnv({ LANG: 'en_US.UTF-8' }), 'en');
  assert.equal(langFromEnv({ LANG: 'en' }), 'en');
  assert.equal(langFromEnv({ LANG: 'eo.UTF-8' }), 'zh-CN', 'Esperanto is not English');
  assert.equal(langFromEnv({ LC_ALL: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }), 'zh-CN', 'LC_ALL wins');
  assert.equal(langFromEnv({ LC_MESSAGES: 'en_GB.UTF-8', LANG: 'zh_CN.UTF-8' }), 'en', 'LC_MESSAGES before LANG');
  assert.equal(langFromEnv({ LC_ALL: '', LANG: 'en_US.UTF-8' }), 'en', 'an empty LC_ALL is unset');
  assert.equal(resolveLang('en', { LANG: 'zh_CN.UTF-8' }), 'en');
  assert.equal(resolveLang('zh-CN', { LANG: 'en_US.UTF-8' }), 'zh-CN');
  assert.throws(() => resolveLang('fr', {}), /--lang/);
});

test(
  'a box with no district yet: the technician answers the prompts in Chinese (English with --lang en), provisioning completes standalone, the box runs without sync errors, and classedge enrol joins it to the district later',
  { timeout: 200_000 },
  async () => {
    const dir = tempDir('classedge-provision-standalone-');
    let app: Awaited<ReturnType<typeof spawnAppliance>> | undefined;
    try {
      const data = join(dir.path, 'data');
      const config = join(dir.path, 'config.yaml');
      writeFileSync(config, PLAIN_HTTP);
      const ports = {
        CLASSEDGE_HTTP_PORT: String(await freePort()),
        CLASSEDGE_MQTT_PORT: String(await freePort()),
        CLASSEDGE_HTTPS_PORT: String(await freePort()),
        CLASSEDGE_MQTTS_PORT: String(await freePort()),
      };
      // Enter at the district question: standalone, and no token is asked.
      const answers = ['', 'room-301', '初一(1)班', '海淀区', '实验中学', '初一', '1班', 'B-101', 'it-admin', PASSWORD];
      const zh = await run(
        process.execPath,
        [CLI, 'provision', '--interactive', '--config', config, '--data-dir', data],
        {
          env: { ...ports, ...C_LOCALE },
          input: `${answers.join('\n')}\n`,
        },
      );
      assert.equal(zh.code, 0, zh.err + zh.out);
      for (const q of ['区级平台地址', '直接回车', '设备编号', '所在区', '首个管理员的用户名', '首个管理员的密码'])
        assert.ok(zh.err.includes(q), `the prompt says ${q}: ${zh.err}`);
      assert.doesNotMatch(zh.err, /一次性接入令牌|District URL|enrolment token/);
      assert.match(zh.out, /^初始配置 room-301（接入码 [0-9A-F]{4}(-[0-9A-F]{4}){3}）$/m);
      assert.match(zh.out, /^完成\s+设备身份\s+room-301（海淀区 \/ 实验中学 \/ 初一 \/ 1班 \/ B-101），已写入 /m);
      assert.match(zh.out, /^跳过\s+接入区级平台\s+单机运行，暂不接入区级平台：数据不上传/m);
      assert.match(zh.out, /^完成\s+管理员\s+已创建管理员 it-admin$/m);
      assert.match(zh.out, /^room-301 初始配置完成，单机运行/m);
      const enrolLaterZh = `classedge enrol --config ${config} --district <区级平台地址> --token-file <令牌文件>`;
      assert.ok(zh.out.includes(`以后接入区级平台（需要区级平台地址和一次性接入令牌）：${enrolLaterZh}`), zh.out);
      assert.doesNotMatch(zh.out, /Provisioning|provisioned|not complete/);

      // Again, unattended: the choice is kept, nothing changes, and the JSON keeps its ids (details in English).
      const again = await run(process.execPath, [CLI, 'provision', '--config', config, '--data-dir', data, '--json'], {
        env: { ...ports, ...C_LOCALE },
        input: '',
      });
      assert.equal(again.code, 0, again.err + again.out);
      const r = JSON.parse(again.out) as ProvisionResult;
      assert.equal(r.standalone, true);
      assert.deepEqual(stepsOf(r), {
        identity: 'skipped',
        keys: 'skipped',
        tls: 'skipped',
        enrol: 'skipped',
        'district-config': 'skipped',
        admin: 'skipped',
        'serial-ports': 'skipped',
      });
      const enrolLater = `classedge enrol --config ${config} --district URL --token-file TOKEN_FILE`;
      assert.equal(r.enrolLater, enrolLater);
      assert.equal(
        r.steps.find((x) => x.step === 'enrol')?.detail,
        `standalone: not enrolled with a district for now, nothing is sent; enrol later with ${enrolLater}`,
      );
      const district = r.doctor.find((d) => d.name === 'district');
      assert.equal(district?.status, 'warn', 'not enrolled is a warning, not a failure');
      assert.match(district?.detail ?? '', /not enrolled \(standalone since \d{4}-\d\d-\d\d\)/);
      assert.deepEqual(
        r.doctor.filter((d) => d.status === 'fail'),
        [],
      );

      // The same questions in English with --lang en (the locale still C), on another box.
      const en = await run(
        process.execPath,
        [
          CLI,
          'provision',
          '--interactive',
          '--lang',
          'en',
          '--config',
          join(dir.path, 'c2.yaml'),
          '--data-dir',
          join(dir.path, 'data2'),
        ],
        { env: { ...ports, ...C_LOCALE }, input: `${['standalone', 'room-302', ...answers.slice(2)].join('\n')}\n` },
      );
      assert.equal(en.code, 0, en.err + en.out);
      assert.match(en.err, /District URL \(e\.g\. https:\/\/sync\.district\.example; press Enter to run standalone/);
      assert.match(en.err, /First admin username: /);
      assert.doesNotMatch(en.err + en.out, /区级平台|初始配置|管理员/);
      assert.match(en.out, /^ok\s+enrol\s+standalone: not enrolled with a district for now/m);
      assert.match(en.out, /^room-302 is provisioned and runs standalone/m);
      assert.match(
        en.out,
        /^To enrol with a district later \(its URL and a one-time token\): classedge enrol --config /m,
      );

      // The locale decides without --lang; --standalone with a district is refused in that language.
      const both = ['provision', '--standalone', '--district', url, '--config', config, '--data-dir', data];
      const refusedEn = await run(process.execPath, [CLI, ...both], { env: EN_LOCALE });
      assert.equal(refusedEn.code, 2);
      assert.match(refusedEn.err, /--standalone runs the box without a district for now/);
      const refusedZh = await run(process.execPath, [CLI, ...both], { env: C_LOCALE });
      assert.equal(refusedZh.code, 2);
      assert.match(refusedZh.err, /--standalone 表示暂不接入区级平台/);

      // The standalone box runs; its sync agent sends nothing and reports no error.
      app = await spawnAppliance(data, ['--config', config]);
      await healthy(app);
      const health = (await (await fetch(`http://127.0.0.1:${app.httpPort}/api/v1/health`)).json()) as {
        components: { name: string; state: string; detail?: string }[];
      };
      const sync = health.components.find((c) => c.name === 'sync');
      assert.equal(sync?.state, 'running');
      assert.match(sync?.detail ?? '', /not enrolled/);

      // Later: the district gives a token; the command the summary printed enrols the box.
      const tokenFile = join(dir.path, 'token.txt');
      writeFileSync(tokenFile, `${await receiver.createToken('room-301')}\n`, { mode: 0o600 });
      const words = enrolLater.split(' ').map((w) => (w === 'URL' ? url : w === 'TOKEN_FILE' ? tokenFile : w));
      assert.equal(words[0], 'classedge');
      const enrol = await run(process.execPath, [CLI, ...words.slice(1)], { env: C_LOCALE });
      assert.equal(enrol.code, 0, enrol.err + enrol.out);
      assert.ok(enrol.out.includes(`已将 room-301 接入区级平台 ${url}`), enrol.out);
      assert.match(enrol.out, /服务正在运行的，请重启：systemctl restart classedge/);
      assert.equal(readEnrolment(data)?.districtUrl, url);
      assert.equal(
        (await receiver.pool.query("SELECT public_key FROM appliances WHERE id = 'room-301'")).rows[0]?.public_key,
        applianceKey(data).publicKeyPem,
        'the district holds the box public key',
      );
      assert.doesNotMatch(
        app.stdout.join('') + app.stderr.join(''),
        /sync round failed/,
        'no sync errors while standalone',
      );

      // At its next start the box syncs: it fetches the configuration the district publishes to it.
      await receiver.publishConfig({ appliance: 'room-301' }, { kiosk: { idleLockSeconds: 900 } });
      app.child.kill('SIGTERM');
      await app.exited;
      app = await spawnAppliance(data, ['--config', config]);
      await healthy(app);
      await waitFor(
        async () =>
          (
            await receiver.pool.query<{ r: string }>(
              "SELECT version || ' ' || result AS r FROM applied_config WHERE appliance_id = 'room-301'",
            )
          ).rows[0]?.r === '1 applied' || undefined,
        "the district's configuration applied and reported",
        30_000,
        200,
      );
      const doctor = await run(process.execPath, [CLI, 'doctor', '--json', '--config', config], {
        env: {
          CLASSEDGE_HTTP_PORT: String(app.httpPort),
          CLASSEDGE_MQTT_PORT: String(app.mqttPort),
          CLASSEDGE_HTTPS_PORT: String(app.httpsPort),
          CLASSEDGE_MQTTS_PORT: String(app.mqttsPort),
        },
      });
      const checks = (JSON.parse(doctor.out) as { checks: { name: string; status: string; detail: string }[] }).checks;
      const enrolled = checks.find((c) => c.name === 'district');
      assert.equal(enrolled?.status, 'ok', doctor.out);
      assert.ok(enrolled?.detail.includes(`enrolled with ${url} as room-301`), doctor.out);
    } finally {
      if (app) {
        app.child.kill('SIGTERM');
        await app.exited;
      }
      dir.cleanup();
    }
  },
);
