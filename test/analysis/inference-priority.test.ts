import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { InferenceClient } from '../../edge/analysis/inference-client.js';
import { parseConfig } from '../../edge/config/load.js';

/** Nice value of each thread of this process (/proc/self/task/<tid>/stat, field 19). */
function threadNices(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(Number(tid), Number(rest[16]));
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

test(
  'the models run on a thread below the event loop: the inference worker at nice 10, the main thread untouched',
  { timeout: 60_000 },
  async () => {
    const before = threadNices();
    const own = before.get(process.pid) as number;
    const want = Math.min(19, own + 10);
    const client = new InferenceClient({
      role: 'audio',
      threads: 1,
      vision: parseConfig('', 'config.yaml').analysis.vision,
    });
    await client.start();
    try {
      const after = threadNices();
      const lowered = [...after].filter(([tid, nice]) => !before.has(tid) && nice === want);
      assert.ok(lowered.length >= 1, `no new thread at nice ${want}: ${JSON.stringify([...after])}`);
      assert.equal(after.get(process.pid), own, 'the event loop keeps its priority');
    } finally {
      await client.stop();
    }
  },
);
