import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../helpers/env.js';
import { COMPONENT_COUNTERS, SYSTEM_METRICS, counterName } from '../../edge/observability/metric-names.js';
import { componentVerdict, systemVerdicts } from '../../edge/observability/verdicts.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('every counter a component declares in the source is in the one table, with labels in both languages', () => {
  const found = new Map<string, string>();
  for (const file of [...sources(join(ROOT, 'edge')), ...sources(join(ROOT, 'firmware-bridge'))]) {
    const s = readFileSync(file, 'utf8');
    const blocks = [
      ...s.matchAll(/(?:#c|#counters|\bcounters)\s*=\s*\{([^}]*)\}/g),
      ...s.matchAll(/counters\(\): Record<string, number>(?: \| undefined)? \{\s*return \{([^}]*)\}/g),
      ...s.matchAll(/counters: \{([^}]*)\}/g),
    ];
    for (const b of blocks)
      for (const k of (b[1] ?? '').matchAll(/(?:^|[,{\s])([a-zA-Z]\w*)\s*:/g))
        found.set(k[1]!, file.slice(ROOT.length));
  }
  assert.ok(found.size > 60, `${found.size} counter names found: the scan still reads the components`);
  for (const [k, file] of found) assert.ok(counterName(k), `counter '${k}' (${file}) is missing from metric-names.ts`);
  const names = new Set<string>(Object.values(SYSTEM_METRICS).map((m) => m.metric));
  for (const k of Object.keys(COMPONENT_COUNTERS)) {
    const m = counterName(k)!;
    assert.match(m.metric, /^classedge_[a-z0-9_]+$/);
    assert.ok(!names.has(m.metric), `${m.metric} named twice`);
    names.add(m.metric);
    assert.match(m.label['zh-CN'], /[\u4e00-\u9fff]/, `${k}: a Chinese label`);
    assert.ok(m.label.en.length > 0);
    if (m.type === 'counter') assert.match(m.metric, /_total$/);
  }
});

test('verdicts: a failed serial device says to check the cable; offline sensors are counted; the box as a whole', () => {
  const failed = componentVerdict({ kind: 'thermometer', state: 'failed' });
  assert.equal(failed.level, 'bad');
  assert.match(failed.advice['zh-CN'], /串口线/);
  assert.equal(componentVerdict({ kind: 'mqtt-broker', state: 'running', counters: { authFailures: 3 } }).level, 'ok');
  const bus = componentVerdict({ kind: 'modbus-bus', state: 'degraded', counters: { offline: 2 } });
  assert.equal(bus.level, 'warn');
  assert.match(bus.advice['zh-CN'], /^2 个传感器离线/);
  assert.equal(componentVerdict({ kind: 'media', state: 'starting' }).level, 'warn');
  assert.equal(componentVerdict({ kind: 'anything', state: 'running', counters: { timerErrors: 1 } }).level, 'warn');
  const healthy = { diskFreeBytes: 50e9, diskTotalBytes: 100e9, loopLagP99Ms: 12, syncLagS: 3600 };
  assert.deepEqual(systemVerdicts(healthy), []);
  assert.deepEqual(
    systemVerdicts({ diskFreeBytes: 2e9, diskTotalBytes: 100e9, loopLagP99Ms: 250, syncLagS: 50 * 3600 }).map((v) => [
      v.key,
      v.verdict.level,
    ]),
    [
      ['disk', 'bad'],
      ['loop', 'warn'],
      ['sync', 'warn'],
    ],
  );
  assert.deepEqual(systemVerdicts({ ...healthy, syncLagS: null }), [], 'not enrolled: no sync verdict');
});
