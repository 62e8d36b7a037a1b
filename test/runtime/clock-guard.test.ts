import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { judgeClock, formatShift } from '../../edge/runtime/clock-guard.js';
import { bootId, monoNow } from '../../edge/clock.js';
import { Store } from '../../edge/store/store.js';
import { parseConfig } from '../../edge/config/load.js';
import { CLI, tempDir } from '../helpers/env.js';
import { run } from '../helpers/run.js';

const DAY = 86_400_000;
const limits = { toleranceMs: 10 * 60_000, maxOffMs: 100 * DAY };
const T = Date.UTC(2026, 11, 3, 8, 0, 0);

test('clock guard: same boot, the wall clock must move as the monotonic clock did', { timeout: 10_000 }, () => {
  const state = { trusted: { wall: T, mono: 1_000, boot: 'b1' }, suspect: undefined };
  const at = (wall: number, mono: number) =>
    judgeClock({ state, now: { wall, mono, boot: 'b1' }, newestRecord: undefined, limits });
  assert.deepEqual(at(T + 3_600_000, 1_000 + 3_600_000), { trusted: true });
  assert.deepEqual(at(T + 5 * 60_000, 1_000), { trusted: true }, 'within the tolerance (an NTP step at boot)');
  const ahead = at(T + 730 * DAY + 60_000, 61_000);
  assert.ok(
    !ahead.trusted && ahead.driftMs === 730 * DAY && /moved \+730 d 0 h/.test(ahead.reason),
    JSON.stringify(ahead),
  );
  const back = at(T - 3_600_000 + 60_000, 61_000);
  assert.ok(!back.trusted && /moved -1 h 0 min/.test(back.reason), JSON.stringify(back));
});

test(
  'clock guard: after a reboot, not behind the last trusted time nor too far ahead of it',
  { timeout: 10_000 },
  () => {
    const state = { trusted: { wall: T, mono: 9e9, boot: 'old-boot' }, suspect: undefined };
    const at = (wall: number) => judgeClock({ state, now: { wall, mono: 5, boot: 'b2' }, newestRecord: T, limits });
    assert.deepEqual(at(T + 60 * DAY), { trusted: true }, 'off over the summer holiday');
    const behind = at(T - 730 * DAY);
    assert.ok(!behind.trusted && /behind the last trusted time/.test(behind.reason), JSON.stringify(behind));
    const ahead = at(T + 730 * DAY);
    assert.ok(!ahead.trusted && /more than retention.clockMaxOffDays/.test(ahead.reason), JSON.stringify(ahead));
    // Nothing trusted yet (first run after the upgrade): the newest audit record is the reference.
    const fresh = judgeClock({
      state: undefined,
      now: { wall: T - 730 * DAY, mono: 5, boot: 'b2' },
      newestRecord: T,
      limits,
    });
    assert.ok(!fresh.trusted && /behind the newest audit record/.test(fresh.reason), JSON.stringify(fresh));
    assert.equal(formatShift(-3_599_997), '-1 h 0 min');
  },
);

test(
  'classedge retention trust-clock: an admin confirms the time; retention purges again, audited',
  { timeout: 60_000 },
  async () => {
    const dir = tempDir();
    try {
      const file = join(dir.path, 'config.yaml');
      const text = `dataDir: ${JSON.stringify(dir.path)}\n`;
      writeFileSync(file, text);
      const s = Store.open(parseConfig(text, file));
      try {
        const trusted = { wall: Date.now() - 730 * DAY, mono: monoNow(), boot: bootId() };
        s.clock.suspect({ since: Date.now(), reason: 'the wall clock moved +730 d 0 h', driftMs: 730 * DAY }, trusted);
      } finally {
        s.close();
      }
      const env = { CLASSEDGE_DATA_DIR: dir.path };
      const paused = await run(process.execPath, [CLI, 'retention', 'status', '-c', file], { env });
      assert.match(paused.out, /retention paused since .*: the wall clock moved \+730 d 0 h/, paused.err);
      const r = await run(process.execPath, [CLI, 'retention', 'trust-clock', '--json', '-c', file], { env });
      assert.equal(r.code, 0, r.err);
      assert.equal((JSON.parse(r.out) as { was: string }).was, 'the wall clock moved +730 d 0 h');
      const after = await run(process.execPath, [CLI, 'retention', 'status', '--json', '-c', file], { env });
      assert.equal((JSON.parse(after.out) as { purging: boolean }).purging, true);
      const s2 = Store.open(parseConfig(text, file));
      try {
        const rec = s2.audit.list({ limit: 1, action: 'clock.trusted' })[0];
        assert.equal(rec?.detail.was, 'the wall clock moved +730 d 0 h');
        assert.deepEqual(s2.audit.verify(), { ok: true, rows: 1 });
      } finally {
        s2.close();
      }
    } finally {
      dir.cleanup();
    }
  },
);
