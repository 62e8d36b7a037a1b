import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { verifyBundle } from '../../edge/update/bundle.js';
import type { UpdateWindow } from '../protocol.js';
import { DistrictReceiver } from './district.js';
import { ringText, type Ring, type RolloutRow } from './rollout-store.js';

/** The largest bundle a rollout takes (a bytea holds at most 1 GiB; an install tree is far smaller). */
export const MAX_BUNDLE_BYTES = 512 * 1024 * 1024;

/** `pilot`, `all`, `school:<name>` or `list:<id,id>`, or an error naming the option. */
export function parseRing(v: string): Ring {
  if (v === 'pilot' || v === 'all') return { kind: v };
  if (v.startsWith('school:') && v.length > 'school:'.length) return { kind: 'school', school: v.slice(7) };
  if (v.startsWith('list:')) {
    const ids = [
      ...new Set(
        v
          .slice(5)
          .split(',')
          .map((s) => s.trim()),
      ),
    ].filter((s) => s !== '');
    if (ids.length > 0 && ids.length <= 10_000) return { kind: 'list', ids };
  }
  throw new Error(`--ring: expected pilot, all, school:<name> or list:<id,id,...>, got '${v}'`);
}

/** `HH:MM-HH:MM` (local time on each appliance; from after to spans midnight) or `any`. */
export function parseWindow(v: string): UpdateWindow | null {
  if (v === 'any') return null;
  const m = /^(([01][0-9]|2[0-3]):[0-5][0-9])-(([01][0-9]|2[0-3]):[0-5][0-9])$/.exec(v);
  if (!m || m[1] === m[3])
    throw new Error(`--window: expected HH:MM-HH:MM (two different times, local on each appliance) or any, got '${v}'`);
  return { from: m[1] as string, to: m[3] as string };
}

export function parseShare(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new Error(`--max-failure-share: expected a number from 0 to 1, got '${v}'`);
  return n;
}

function rolloutLine(r: RolloutRow): string {
  const c = r.counts;
  const n = (k: keyof typeof c): number => c[k] ?? 0;
  return [
    `#${r.id}`,
    r.state + (r.reason ? ` (${r.reason})` : ''),
    `version ${r.version}`,
    `bundle ${r.bundle.slice(0, 12)}`,
    `ring ${ringText(r.ring)} (${r.ringSize})`,
    `window ${r.window ? `${r.window.from}-${r.window.to}` : 'any'}`,
    `max failure share ${r.maxFailureShare}`,
    `offered ${n('offered')} downloading ${n('downloading')} installing ${n('installing')} installed ${n('installed')} rolled-back ${n('rolled-back')} failed ${n('failed')}`,
  ].join('\t');
}

/**
 * `classedge-district rollout ...`: publish a signed update bundle to a ring of appliances, list the
 * rollouts with their outcomes, halt one, and flag the pilot appliances (docs/fleet-updates.md).
 */
export function registerRolloutCommand(program: Command, db: (c: Command) => Command): void {
  const rollout = program
    .command('rollout')
    .description('Fleet updates: offer a signed update bundle to a ring of appliances (docs/fleet-updates.md).');
  const withReceiver = async <T>(database: string, fn: (r: DistrictReceiver) => Promise<T>): Promise<T> => {
    const r = new DistrictReceiver({ databaseUrl: database });
    try {
      await r.migrate();
      return await fn(r);
    } finally {
      await r.close();
    }
  };
  db(
    rollout
      .command('create')
      .description(
        'Store a signed update bundle (classedge-district update-bundle) once, by its SHA-256, and offer it to a ring: appliances download it with their next heartbeat and install it inside the window, outside lessons.',
      ),
  )
    .requiredOption('--bundle <file>', 'the signed update bundle')
    .requiredOption('--ring <ring>', 'pilot, all, school:<name> or list:<id,id,...>')
    .requiredOption('--window <HH:MM-HH:MM>', 'maintenance window, local time on each appliance (or any)')
    .option('--max-failure-share <share>', 'halt once (rolled back + failed) / reported passes this', '0.2')
    .option('--json', 'print as JSON')
    .action(
      async (o: {
        database: string;
        bundle: string;
        ring: string;
        window: string;
        maxFailureShare: string;
        json?: boolean;
      }) => {
        const ring = parseRing(o.ring);
        const window = parseWindow(o.window);
        const maxFailureShare = parseShare(o.maxFailureShare);
        const size = statSync(o.bundle).size;
        if (size > MAX_BUNDLE_BYTES || size === 0)
          throw new Error(`--bundle: expected a bundle of 1 to ${MAX_BUNDLE_BYTES} bytes, got ${size}`);
        await withReceiver(o.database, async (r) => {
          // Only what the appliances will accept: signed by this district's key (after a key rotation,
          // bundles are to be signed again).
          const { manifest } = verifyBundle(o.bundle, await r.store.districtPublicKey());
          if (ring.kind === 'list') {
            const unknown = await r.rollouts.unknownAppliances(ring.ids);
            if (unknown.length > 0) throw new Error(`--ring: appliances not enrolled: ${unknown.join(', ')}`);
          }
          const bytes = readFileSync(o.bundle);
          const sha256 = createHash('sha256').update(bytes).digest('hex');
          await r.rollouts.putBundle(sha256, manifest.version, manifest, bytes);
          const id = await r.rollouts.createRollout({ bundle: sha256, ring, window, maxFailureShare });
          const [row] = await r.rollouts.rollouts(1, id);
          process.stdout.write(o.json ? `${JSON.stringify(row)}\n` : `${row ? rolloutLine(row) : id}\n`);
        });
      },
    );
  db(rollout.command('list').description('Rollouts, newest first, with their ring and outcomes counted.'))
    .option('--json', 'print as JSON')
    .action(async (o: { database: string; json?: boolean }) => {
      const rows = await withReceiver(o.database, (r) => r.rollouts.rollouts());
      process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : `${rows.map(rolloutLine).join('\n')}\n`);
    });
  db(rollout.command('halt').description('Halt an active rollout: nothing more is offered or served.'))
    .argument('<id>', 'the rollout id')
    .option('--reason <text>', 'why (shown by rollout list)', 'halted by hand')
    .action(async (id: string, o: { database: string; reason: string }) => {
      if (!/^\d{1,9}$/.test(id)) throw new Error(`id: expected a rollout id (a whole number), got '${id}'`);
      const ok = await withReceiver(o.database, (r) => r.rollouts.halt(Number(id), o.reason.slice(0, 300)));
      if (!ok) throw new Error(`rollout ${id}: no active rollout of that id`);
      process.stdout.write(`rollout ${id} halted\n`);
    });
  const pilot = rollout.command('pilot').description('The appliances of the pilot ring.');
  db(pilot.command('add').description('Flag appliances for the pilot ring.'))
    .argument('<ids...>', 'appliance ids')
    .action(async (ids: string[], o: { database: string }) => {
      const unknown = await withReceiver(o.database, (r) => r.rollouts.addPilots(ids));
      if (unknown.length > 0) throw new Error(`appliances not enrolled: ${unknown.join(', ')} (none flagged)`);
      process.stdout.write(`pilot: ${ids.join(', ')}\n`);
    });
  db(pilot.command('remove').description('Take appliances off the pilot ring.'))
    .argument('<ids...>', 'appliance ids')
    .action(async (ids: string[], o: { database: string }) => {
      const n = await withReceiver(o.database, (r) => r.rollouts.removePilots(ids));
      process.stdout.write(`${n} removed from the pilot ring\n`);
    });
  db(pilot.command('list').description('The pilot appliances.')).action(async (o: { database: string }) => {
    const ids = await withReceiver(o.database, (r) => r.rollouts.pilots());
    process.stdout.write(`${ids.join('\n')}\n`);
  });
}
