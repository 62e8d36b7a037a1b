import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, envOverrides } from '../../edge/config/load.js';
import { ConfigError } from '../../edge/errors.js';
import { settingsReference } from '../../edge/config/settings-doc.js';
import { CLI, ROOT, tempDir, thrown } from '../helpers/env.js';

test('an empty file gives the schema defaults', () => {
  const c = parseConfig('', 'empty');
  assert.equal(c.http.port, 8080);
  assert.equal(c.mqtt.port, 1883);
  assert.equal(c.store.synchronous, 'FULL');
  assert.deepEqual(c.components, []);
});

const THREE_MISTAKES = `appliance:
  id: Room 101
mqtt:
  port: 70000
retention:
  readingsDayz: 30
`;

test('three mistakes are reported together, each with path, line, value and expectation', () => {
  const err = thrown(() => parseConfig(THREE_MISTAKES, 'bad.yaml'));
  assert.ok(err instanceof ConfigError);
  const byPath = new Map(err.issues.map((i) => [i.path, i]));
  assert.equal(err.issues.length, 3, err.message);
  assert.equal(byPath.get('/appliance/id')?.value, 'Room 101');
  assert.equal(byPath.get('/appliance/id')?.line, 2);
  assert.equal(byPath.get('/mqtt/port')?.value, 70000);
  assert.match(byPath.get('/mqtt/port')?.expected ?? '', /<= 65535/);
  assert.equal(byPath.get('/mqtt/port')?.line, 4);
  assert.match(byPath.get('/retention/readingsDayz')?.expected ?? '', /no unknown setting.*readingsDays/);
  assert.match(err.message, /3 problems/);
});

test('an unknown component type names the known types', () => {
  const err = thrown(() => parseConfig('components:\n  - type: modbus-magic\n    name: x\n', 'c.yaml'));
  assert.ok(err instanceof ConfigError);
  assert.equal(err.issues[0]?.path, '/components/0/type');
  assert.match(err.issues[0]?.expected ?? '', /mqtt-sensor-sim/);
});

test('a component with a wrong field is reported at its own path', () => {
  const err = thrown(() =>
    parseConfig(
      'components:\n  - type: mqtt-sensor-sim\n    name: a\n    deviceId: s1\n    intervalMs: fast\n',
      'c.yaml',
    ),
  );
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['/components/0/intervalMs'],
  );
  assert.equal(err.issues[0]?.line, 5);
});

test('duplicate component names are refused', () => {
  const yaml = 'components:\n' + [1, 2].map(() => '  - { type: mqtt-sensor-sim, name: same, deviceId: s1 }\n').join('');
  assert.throws(
    () => parseConfig(yaml, 'c.yaml'),
    (e: unknown) => e instanceof ConfigError && e.issues[0]?.path === '/components/1/name',
  );
});

test('YAML syntax errors and non-mapping documents are config errors, not crashes', () => {
  assert.throws(() => parseConfig('http: [unclosed', 'x.yaml'), ConfigError);
  assert.throws(() => parseConfig('- just\n- a list\n', 'x.yaml'), ConfigError);
  assert.throws(() => parseConfig('http:\n  port: 1\nhttp:\n  port: 2\n', 'x.yaml'), ConfigError);
  assert.throws(() => parseConfig('\u0000\u0001garbage: [', 'x.yaml'), ConfigError);
});

test('environment variables override the file, and a bad one is reported with the file errors', () => {
  const o = envOverrides({ CLASSEDGE_DATA_DIR: '/tmp/x', CLASSEDGE_HTTP_PORT: '9090', CLASSEDGE_MQTT_PORT: '1999' });
  const c = parseConfig('http: { port: 1234 }', 'f', o);
  assert.equal(c.http.port, 9090);
  assert.equal(c.mqtt.port, 1999);
  assert.equal(c.dataDir, '/tmp/x');
  const err = thrown(() => parseConfig('mqtt: { port: -1 }', 'f', envOverrides({ CLASSEDGE_HTTP_PORT: 'eighty' })));
  assert.ok(err instanceof ConfigError);
  assert.deepEqual(err.issues.map((i) => i.path).sort(), ['/http/port', '/mqtt/port']);
});

test('classedge config validate: exit 2 and all three problems; --json is machine-readable', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, THREE_MISTAKES);
    const human = spawnSync(process.execPath, [CLI, 'config', 'validate', file], { encoding: 'utf8' });
    assert.equal(human.status, 2);
    for (const p of ['/appliance/id', '/mqtt/port', '/retention/readingsDayz'])
      assert.match(human.stdout, new RegExp(p));
    const json = spawnSync(process.execPath, [CLI, 'config', 'validate', file, '--json'], { encoding: 'utf8' });
    assert.equal(json.status, 2);
    assert.equal((JSON.parse(json.stdout) as { issues: unknown[] }).issues.length, 3);
    const good = join(dir.path, 'good.yaml');
    writeFileSync(good, 'appliance: { id: room-101 }\n');
    const ok = spawnSync(process.execPath, [CLI, 'config', 'validate', good], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
  } finally {
    dir.cleanup();
  }
});

test('classedge start refuses a bad file with every problem and a non-zero exit', () => {
  const dir = tempDir();
  try {
    const file = join(dir.path, 'bad.yaml');
    writeFileSync(file, THREE_MISTAKES);
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', file, '--data-dir', dir.path], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.notEqual(r.status, 0);
    for (const p of ['/appliance/id', '/mqtt/port', '/retention/readingsDayz']) assert.match(r.stderr, new RegExp(p));
  } finally {
    dir.cleanup();
  }
});

test('docs/settings.md is generated from the schema and up to date', () => {
  const committed = readFileSync(join(ROOT, 'docs', 'settings.md'), 'utf8');
  assert.equal(committed, settingsReference(), 'run: npm run docs:settings');
});
