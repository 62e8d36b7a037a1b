import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { startTestAppliance, seedDevice, type TestAppliance } from '../helpers/appliance.js';
import { connect } from '../helpers/mqtt.js';
import { ApiClient } from '../helpers/api-client.js';
import { ROOT, freePort, tempDir, waitFor } from '../helpers/env.js';
import { writeEnrolment } from '../../edge/sync/keys.js';
import { newKeyPair } from '../../edge/security/signing.js';
import { SYSTEM_METRICS, counterName } from '../../edge/observability/metric-names.js';
import { observeCommit, observeInference } from '../../edge/observability/metrics.js';

/**
 * GET /metrics of a real appliance (a Modbus bus at the far end of a simulated cable, the media
 * server, enrolled with a district that is down), parsed line by line as Prometheus text exposition
 * 0.0.4, checked for the families the issue names with plausible values, refused to the LAN without
 * the scrape token, and held against the Grafana dashboard in deploy/.
 */

const TIMEOUT = { timeout: 200_000 };

function lanAddress(): string {
  const a = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  assert.ok(a, 'these tests need a non-loopback IPv4 interface to play the school network');
  return a.address;
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Exposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const SAMPLE_RE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*)?,?\\})? (\\S+)(?: -?\\d+)?$`);
const VALUE_RE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?Inf|NaN)$/;

/** Parse the text exposition format strictly: any line that is not HELP, TYPE or a sample fails. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    const where = `line ${i + 1}: ${line.slice(0, 200)}`;
    if (line.startsWith('# HELP ')) {
      const m = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
      assert.ok(m, `bad HELP ${where}`);
      assert.ok(!help.has(m[1]!), `HELP twice for ${m[1]}`);
      help.set(m[1]!, m[2]!);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const m = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
      assert.ok(m, `bad TYPE ${where}`);
      assert.ok(!types.has(m[1]!), `TYPE twice for ${m[1]}`);
      types.set(m[1]!, m[2]!);
      continue;
    }
    assert.ok(!line.startsWith('#'), `a comment that is neither HELP nor TYPE: ${where}`);
    const m = SAMPLE_RE.exec(line);
    assert.ok(m, `not a sample line: ${where}`);
    assert.match(m[3]!, VALUE_RE, `bad value: ${where}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    const name = m[1]!;
    const family = familyOf(name, types);
    assert.ok(types.has(family), `sample before (or without) its TYPE: ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    assert.ok(!seen.has(key), `the same series twice: ${where}`);
    seen.add(key);
    samples.push({ name, labels, value: Number(m[3]) });
  }
  return { types, help, samples };
}

function familyOf(name: string, types: Map<string, string>): string {
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && types.get(base) === 'histogram' ? base : name;
}

function value(e: Exposition, name: string, labels: Record<string, string> = {}): number | undefined {
  return e.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

const token = randomBytes(32).toString('hex');
const dir = tempDir('classedge-metrics-');
let t: TestAppliance;
let lanUrl: string;

before(async () => {
  // Enrolled with a district that does not answer: the sync agent runs, fails and falls behind.
  const deadPort = await freePort();
  writeEnrolment(dir.path, {
    districtUrl: `http://127.0.0.1:${deadPort}`,
    applianceId: 'room-201',
    districtPublicKeyPem: newKeyPair().publicKeyPem,
    enrolledAt: Date.now(),
  });
  const slaves = '      - { address: 1, profile: jxct-gas }';
  t = await startTestAppliance(
    `metrics: { scrapeTokenSha256: ${createHash('sha256').update(token).digest('hex')} }
sync: { intervalMs: 1000 }
components:
  - { type: media, name: media, listenIp: 127.0.0.1, workers: 1 }
  - type: modbus-sim
    name: sensors-sim
    ptyDir: ${JSON.stringify(join(dir.path, 'bus'))}
    slaves:
${slaves}
  - type: modbus-bus
    name: bus
    port: ${JSON.stringify(join(dir.path, 'bus', 'appliance'))}
    pollIntervalMs: 300
    devices:
${slaves}
`,
    { keepDir: dir.path, httpHost: '0.0.0.0' },
  );
  lanUrl = t.httpUrl.replace('127.0.0.1', lanAddress());
});

after(async () => {
  await t.stop();
  dir.cleanup();
});

async function scrape(base: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text(), res };
}

test(
  'from loopback /metrics is valid exposition format with every family the issue names, values plausible',
  TIMEOUT,
  async () => {
    // Traffic: readings over MQTT, one wrong device secret, Modbus polls.
    const creds = await seedDevice(t, 'co2-1');
    const c = await connect(t.mqttUrl, creds);
    for (let i = 0; i < 5; i++)
      await c.publishAsync('classedge/dev/co2-1/reading', JSON.stringify({ metrics: { co2_ppm: 600 + i } }), {
        qos: 1,
      });
    await c.endAsync();
    await assert.rejects(connect(t.mqttUrl, { username: 'co2-1', password: 'wrong-secret-wrong-secret' }));
    await waitFor(
      () => t.appliance.statuses().find((s) => s.name === 'bus')?.counters?.ok,
      'a Modbus poll answered',
      20_000,
    );

    const r = await scrape(t.httpUrl);
    assert.equal(r.status, 200, r.text.slice(0, 300));
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    const e = parseExposition(r.text);

    for (const m of Object.values(SYSTEM_METRICS)) {
      if (m.metric === SYSTEM_METRICS.unlistedCounter.metric) continue;
      if (m.metric === SYSTEM_METRICS.flashWritten.metric && !existsSync('/proc/self/io')) continue;
      assert.equal(e.types.get(m.metric), m.type, `${m.metric} served as a ${m.type}`);
      assert.equal(e.help.get(m.metric), m.help, `${m.metric}: HELP comes from the shared table`);
    }
    // Every counter a component reports is in the shared table: nothing served as "unlisted".
    assert.equal(
      e.types.has(SYSTEM_METRICS.unlistedCounter.metric),
      false,
      'a component counter missing from metric-names.ts',
    );
    for (const s of t.appliance.statuses())
      for (const k of Object.keys(s.counters ?? {}))
        assert.ok(counterName(k), `counter '${k}' of ${s.name} is in the table`);

    // Component states: one series per state, exactly one of them 1.
    for (const s of t.appliance.statuses()) {
      const series = e.samples.filter((x) => x.name === 'classedge_component_state' && x.labels.component === s.name);
      assert.equal(series.length, 6, `${s.name}: a series per state`);
      assert.deepEqual(
        series.filter((x) => x.value === 1).map((x) => x.labels.state),
        [s.state],
      );
    }
    assert.equal(value(e, 'classedge_component_state', { component: 'broker', state: 'running' }), 1);
    // Counters, by their table names and the component that reports them.
    assert.ok(value(e, 'classedge_auth_failures_total', { component: 'broker' })! >= 1, 'the wrong secret counted');
    assert.ok(value(e, 'classedge_accepted_total', { component: 'broker' })! >= 5);
    assert.ok(value(e, 'classedge_polls_total', { component: 'bus' })! >= 1);
    assert.ok(value(e, 'classedge_polls_ok_total', { component: 'bus' })! >= 1);
    const stored = value(e, 'classedge_readings_stored_total')!;
    assert.ok(stored >= 5, `readings stored ${stored}`);
    const commits = value(e, 'classedge_store_commits_total')!;
    assert.ok(commits >= 1 && commits <= stored, `commits ${commits}`);
    // Machine figures.
    const free = value(e, 'classedge_disk_free_bytes')!;
    assert.ok(free > 0 && free <= value(e, 'classedge_disk_size_bytes')!, `disk free ${free}`);
    if (existsSync('/proc/self/io')) assert.ok(value(e, 'classedge_flash_written_bytes_total')! >= 0);
    const p50 = value(e, 'classedge_event_loop_lag_seconds', { quantile: '0.5' })!;
    const p99 = value(e, 'classedge_event_loop_lag_seconds', { quantile: '0.99' })!;
    assert.ok(p50 >= 0 && p50 <= p99 && p99 < 5, `event-loop lag p50 ${p50} p99 ${p99}`);
    assert.ok(value(e, 'classedge_process_cpu_seconds_total')! > 0);
    assert.ok(value(e, 'classedge_process_resident_memory_bytes')! > 20 * 1024 * 1024);
    assert.ok(value(e, 'classedge_cpu_cores')! >= 1);
    assert.ok(value(e, 'classedge_uptime_seconds')! > 0);
    // Sync: enrolled, every stream with a backlog and a lag (0 when nothing waits).
    assert.equal(value(e, 'classedge_sync_enrolled'), 1);
    const lags = e.samples.filter((s) => s.name === 'classedge_sync_lag_seconds');
    assert.ok(lags.length >= 3, 'a lag per stream');
    for (const l of lags) assert.ok(l.value >= 0 && l.value < 3600, `${l.labels.stream} lag ${l.value}`);
    const readingsBacklog = value(e, 'classedge_sync_backlog_records', { stream: 'readings' })!;
    assert.ok(readingsBacklog >= 5, `readings backlog ${readingsBacklog}`);
    assert.ok(value(e, 'classedge_sync_lag_seconds', { stream: 'readings' })! > 0, 'readings wait: the lag grows');
    // Media streams and the latency histograms.
    assert.equal(value(e, 'classedge_media_streams', { direction: 'sent' }), 0);
    assert.equal(e.types.get('classedge_store_commit_seconds'), 'histogram');
    assert.equal(e.types.get('classedge_inference_seconds'), 'histogram');
  },
);

test('the latency hooks feed the histograms /metrics serves: a commit of 3 ms, a frame of 40 ms', TIMEOUT, async () => {
  const before = parseExposition((await scrape(t.httpUrl)).text);
  const commitsBefore = value(before, 'classedge_store_commit_seconds_count') ?? 0;
  const fastBefore = value(before, 'classedge_store_commit_seconds_bucket', { le: '0.002' }) ?? 0;
  observeCommit(3);
  observeInference('vision', 40);
  const e = parseExposition((await scrape(t.httpUrl)).text);
  assert.equal(value(e, 'classedge_store_commit_seconds_count'), commitsBefore + 1);
  assert.ok(value(e, 'classedge_store_commit_seconds_bucket', { le: '0.005' })! >= 1);
  assert.equal(value(e, 'classedge_store_commit_seconds_bucket', { le: '0.002' }), fastBefore, '3 ms is above 2 ms');
  assert.ok(value(e, 'classedge_inference_seconds_count', { model: 'vision' })! >= 1);
  assert.ok(value(e, 'classedge_inference_seconds_bucket', { model: 'vision', le: '0.05' })! >= 1);
});

test(
  'from the school network /metrics needs the scrape token: 401 without or with a wrong one, 200 with it',
  TIMEOUT,
  async () => {
    const none = await scrape(lanUrl);
    assert.equal(none.status, 401);
    assert.match(none.res.headers.get('www-authenticate') ?? '', /^Bearer /);
    assert.doesNotMatch(none.text, /classedge_/);
    const wrong = await scrape(lanUrl, { authorization: `Bearer ${'0'.repeat(64)}` });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(wrong.text, /classedge_/);
    const basic = await scrape(lanUrl, { authorization: `Basic ${Buffer.from(`x:${token}`).toString('base64')}` });
    assert.equal(basic.status, 401);
    const ok = await scrape(lanUrl, { authorization: `Bearer ${token}` });
    assert.equal(ok.status, 200);
    parseExposition(ok.text);
    // An admin session is not a scrape token.
    const api = new ApiClient(lanUrl);
    assert.equal((await api.get('/metrics')).status, 401);
  },
);

test(
  'without a configured token /metrics is loopback-only: 403 from the network, with what to set',
  TIMEOUT,
  async () => {
    const other = await startTestAppliance('', { httpHost: '0.0.0.0' });
    try {
      const lan = await scrape(other.httpUrl.replace('127.0.0.1', lanAddress()), { authorization: `Bearer ${token}` });
      assert.equal(lan.status, 403);
      assert.match(JSON.parse(lan.text).message, /metrics\.scrapeTokenSha256/);
      assert.equal((await scrape(other.httpUrl)).status, 200);
    } finally {
      await other.stop();
    }
  },
);

test(
  'the Grafana dashboard imports (datasource variable, panels with targets) and every expression names a served metric',
  TIMEOUT,
  async () => {
    const dash = JSON.parse(readFileSync(join(ROOT, 'deploy', 'grafana', 'classedge.json'), 'utf8'));
    const vars = dash.templating.list as { name: string; type: string; query: unknown }[];
    assert.ok(
      vars.some((v) => v.type === 'datasource' && v.query === 'prometheus'),
      'a Prometheus datasource variable',
    );
    assert.equal(typeof dash.title, 'string');
    assert.equal(typeof dash.uid, 'string');
    const exprs: string[] = [];
    const walk = (x: unknown): void => {
      if (Array.isArray(x)) x.forEach(walk);
      else if (x && typeof x === 'object') {
        for (const [k, v] of Object.entries(x)) {
          if ((k === 'expr' || k === 'query') && typeof v === 'string') exprs.push(v);
          else walk(v);
        }
      }
    };
    walk(dash);
    const panels = (
      dash.panels as { type: string; title: string; targets?: unknown[]; datasource?: { uid: string } }[]
    ).filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 10);
    for (const p of panels) {
      assert.ok((p.targets ?? []).length > 0, `${p.title}: no query`);
      assert.equal(p.datasource?.uid, '${datasource}', `${p.title}: uses the datasource variable`);
    }
    const served = parseExposition((await scrape(t.httpUrl)).text);
    const names = new Set(exprs.flatMap((q) => [...q.matchAll(/\bclassedge_[a-z0-9_]+/g)].map((m) => m[0])));
    assert.ok(names.size >= 15, `${names.size} metrics on the dashboard`);
    for (const n of names) {
      const family = familyOf(n, served.types);
      assert.ok(served.types.has(family), `the dashboard asks for ${n}, which /metrics does not serve`);
      if (family !== n) assert.ok(served.types.get(family) === 'histogram');
    }
  },
);
