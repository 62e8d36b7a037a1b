import type { Command } from 'commander';
import { DistrictReceiver } from './district.js';

/**
 * `classedge-district key rotate`: a new district key, announced to every appliance by a message
 * the old key signs (see `./key-rotation.ts`). `db` adds the `--database` option as the other
 * commands have it.
 */
export function registerKeyCommand(program: Command, db: (c: Command) => Command): void {
  db(
    program
      .command('key')
      .command('rotate')
      .description(
        "Replace the district's signing key: appliances pin the new one from a message signed by the old one, carried by every answer. Running receivers sign with it within 30 s; update bundles are to be signed again.",
      ),
  )
    .option('--json', 'print the rotation message as JSON')
    .action(async (o: { database: string; json?: boolean }) => {
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      try {
        const m = await r.rotateKey();
        process.stdout.write(
          o.json
            ? `${JSON.stringify(m)}\n`
            : `district key rotated: new key from ${m.notBefore}, replacing ${m.previousKey.slice(0, 16)}\n`,
        );
      } finally {
        await r.close();
      }
    });
}
