import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ComponentRegistry } from '../../edge/runtime/registry.js';
import { BaseComponent, TypedEmitter } from '../../edge/runtime/component.js';
import { createLogger } from '../../edge/log.js';
import type { LiveEvents } from '../../edge/messages.js';
import { createServer, type Socket } from 'node:net';
import { ServiceClient } from '../../edge/broker/service-client.js';

class Part extends BaseComponent {
  readonly kind = 'test-part';
  stopped = false;
  constructor(
    readonly name: string,
    private readonly hangs = false,
    private readonly takesMs = 0,
  ) {
    super();
  }
  async start(): Promise<void> {
    this.setState('running');
  }
  async stop(): Promise<void> {
    if (this.hangs) return new Promise(() => undefined);
    await new Promise((r) => setTimeout(r, this.takesMs));
    this.stopped = true;
    this.stoppedAt = Date.now();
    this.setState('stopped');
  }
  stoppedAt = 0;
}

test(
  'shutdown: a component whose stop never resolves is left behind, every other one is still stopped, within the time bound',
  { timeout: 10_000 },
  async () => {
    const registry = new ComponentRegistry({
      log: createLogger({ level: 'silent' }),
      bus: new TypedEmitter<LiveEvents>(),
    });
    const parts = [new Part('broker'), new Part('sim'), new Part('hung-driver', true), new Part('api')];
    for (const p of parts) registry.add(p, { core: false });
    await registry.startAll(new AbortController().signal);
    const t0 = Date.now();
    const clean = await registry.stopAll(800);
    const took = Date.now() - t0;
    assert.equal(clean, false, 'not every component stopped');
    assert.deepEqual(
      parts.map((p) => [p.name, p.stopped]),
      [
        ['broker', true],
        ['sim', true],
        ['hung-driver', false],
        ['api', true],
      ],
    );
    assert.ok(took < 1000, `stopAll took ${took} ms for a bound of 800`);
  },
);

test(
  'shutdown: a component slower than its share finishes in the time left after the others stopped',
  { timeout: 10_000 },
  async () => {
    const registry = new ComponentRegistry({
      log: createLogger({ level: 'silent' }),
      bus: new TypedEmitter<LiveEvents>(),
    });
    // Reverse order: analysis is asked first, needs 400 ms while its share is 1000 / 3.
    const parts = [new Part('broker'), new Part('api'), new Part('analysis', false, 400)];
    for (const p of parts) registry.add(p, { core: false });
    await registry.startAll(new AbortController().signal);
    assert.equal(await registry.stopAll(1000), true, 'everything stopped within the bound');
    assert.ok(parts.every((p) => p.stopped));
    const [broker, api, analysis] = parts;
    assert.ok(
      broker && api && analysis && broker.stoppedAt <= analysis.stoppedAt && api.stoppedAt <= analysis.stoppedAt,
      'the others did not wait for the slow one',
    );
  },
);

test(
  'shutdown: a start still waiting for its broker ends when the shutdown aborts it',
  { timeout: 20_000 },
  async () => {
    // A broker that accepts the connection and never answers: the service client would wait for ever.
    const sockets: Socket[] = [];
    const silent = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const registry = new ComponentRegistry({
        log: createLogger({ level: 'silent' }),
        bus: new TypedEmitter<LiveEvents>(),
      });
      const client = new ServiceClient({
        url: () => `mqtt://127.0.0.1:${port}`,
        secret: 'x'.repeat(32),
        bus: new TypedEmitter<LiveEvents>(),
        log: createLogger({ level: 'silent' }),
      });
      registry.add(client, { core: true });
      const shutdown = new AbortController();
      let started = false;
      const starting = registry.startAll(shutdown.signal).then(() => (started = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(started, false, 'the start waits for the broker');
      assert.ok(sockets.length > 0, 'the client reached the silent broker');
      const t0 = Date.now();
      shutdown.abort();
      // A core component cut short by the shutdown is not a start failure: startAll resolves.
      await starting;
      assert.ok(Date.now() - t0 < 500, `the start ended ${Date.now() - t0} ms after the abort`);
      assert.equal(await registry.stopAll(2000), true);
      assert.equal(client.status().state, 'stopped');
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  },
);

class Ticker extends BaseComponent {
  readonly name = 'ticker';
  readonly kind = 'test-ticker';
  ticks = 0;
  readonly errors: unknown[] = [];
  #timer: NodeJS.Timeout | undefined;
  async start(): Promise<void> {
    // Every other tick fails the way a timer's database write fails on a full disk.
    this.#timer = this.every(
      5,
      () => {
        this.ticks++;
        if (this.ticks % 2 === 0) throw new Error('SQLITE_FULL: database or disk is full');
      },
      (err) => this.errors.push(err),
    );
    this.setState('running');
  }
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.setState('stopped');
  }
}

test(
  'a component timer whose work throws neither ends the process nor stops: the error is reported and counted',
  { timeout: 30_000 },
  async () => {
    const t = new Ticker();
    await t.start();
    try {
      // An escaping exception from a timer would end this test process here.
      for (let i = 0; i < 400 && t.ticks < 8; i++) await new Promise((r) => setTimeout(r, 10));
      assert.ok(t.ticks >= 8, `the timer kept running (${t.ticks} ticks)`);
      assert.ok(t.errors.length >= 3);
      assert.match(String(t.errors[0]), /SQLITE_FULL/);
      assert.equal(t.status().counters?.timerErrors, t.errors.length);
    } finally {
      await t.stop();
    }
  },
);
