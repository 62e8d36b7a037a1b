import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse } from 'yaml';
import { Settings, describeProblem, wireCheck } from '../protocol.js';
import { DistrictReceiver } from './district.js';
import { DISTRICT_MIGRATIONS } from './schema.js';
import { DAYS_AHEAD, DAYS_BACK, ENROL_TOKEN_HOURS, OFFLINE_AFTER_MINUTES } from './defaults.js';

/** A whole number option of at least `min`, or an error naming the option and what it expected. */
function wholeNumber(option: string, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new Error(`${option}: expected a whole number >= ${min}, got '${v}'`);
  return Number(v);
}
import { registerKeyCommand } from './key-command.js';
import { registerUserCommand } from './console/user-command.js';
import { registerRolloutCommand } from './rollout-command.js';
import type { FleetRow } from './fleet-store.js';

/** A number of minutes > 0, or an error naming the option. */
function minutes(option: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${option}: expected a number of minutes > 0, got '${v}'`);
  return n;
}

/** One appliance on one line of `appliances`. */
function fleetLine(x: FleetRow): string {
  const gib = (b: number): string => `${(b / 2 ** 30).toFixed(1)} GiB`;
  const s = x.status;
  const notRunning = s?.components.filter((c) => c.state !== 'running').map((c) => `${c.name} ${c.state}`) ?? [];
  return [
    x.id,
    x.school || '-',
    x.online ? 'online' : 'OFFLINE',
    `heartbeat ${x.lastHeartbeat?.toISOString() ?? 'never'}`,
    s ? `version ${s.version}` : 'version ?',
    s ? `disk free ${gib(s.disk.freeBytes)} of ${gib(s.disk.totalBytes)}` : 'disk ?',
    notRunning.length ? `not running: ${notRunning.join(', ')}` : s ? 'all running' : 'no heartbeat yet',
    `last seen ${x.lastSeen?.toISOString() ?? 'never'}`,
    JSON.stringify(x.streams),
  ].join('\t');
}

const checkSettings = wireCheck(Settings);

/**
 * A settings file to publish, refused here when it is not an object: every appliance would refuse
 * the publication at each sync round, and fail the round with it.
 */
function settingsFile(file: string): Record<string, unknown> {
  const r = checkSettings(parse(readFileSync(file, 'utf8')));
  if (!r.ok) throw new Error(`${file}: ${describeProblem(r.problem, '(document)')}`);
  return r.value;
}

/**
 * `classedge-district`: what a district engineer runs. `serve` is the receiver (stateless; run as
 * many as needed behind a load balancer); `token create` enrols a classroom; `appliances` shows
 * each appliance's heartbeat and sync position.
 */
export function districtProgram(): Command {
  const program = new Command('classedge-district')
    .description("ClassEdge district data center: receive appliances' records into PostgreSQL.")
    .showHelpAfterError();
  const db = (c: Command): Command =>
    c.requiredOption(
      '--database <url>',
      'PostgreSQL connection URL (env CLASSEDGE_DISTRICT_DB)',
      process.env.CLASSEDGE_DISTRICT_DB,
    );
  db(program.command('serve').description('Run the receiver.'))
    .option('--port <port>', 'HTTP port', '8443')
    .option('--host <host>', 'listen address', '127.0.0.1')
    .option('--tls-cert <file>', "the district's certificate (PEM): serve HTTPS")
    .option('--tls-key <file>', 'its private key (PEM)')
    .option('--days-back <n>', "oldest record day accepted, in days before the receiver's clock", String(DAYS_BACK))
    .option('--days-ahead <n>', "newest record day accepted, in days after the receiver's clock", String(DAYS_AHEAD))
    .option(
      '--console-port <port>',
      "serve the district console on this port too (its own listener, for the district's staff)",
    )
    .option('--console-host <host>', "the console's listen address", '127.0.0.1')
    .option(
      '--console-read-database <url>',
      'a streaming replica of --database the console reads the fleet, health and lessons from (its writes go to --database)',
    )
    .option(
      '--offline-after-minutes <n>',
      'the console shows an appliance offline once its last heartbeat is this old',
      String(OFFLINE_AFTER_MINUTES),
    )
    .option(
      '--no-migrate',
      "do not migrate the database (a login in role classedge_receiver, which cannot read the district's signing key); run `classedge-district migrate` with the owner's login first",
    )
    .action(
      async (o: {
        database: string;
        port: string;
        host: string;
        tlsCert?: string;
        tlsKey?: string;
        daysBack: string;
        daysAhead: string;
        migrate: boolean;
        consolePort?: string;
        consoleHost: string;
        consoleReadDatabase?: string;
        offlineAfterMinutes: string;
      }) => {
        const offlineAfterMs = minutes('--offline-after-minutes', o.offlineAfterMinutes) * 60_000;
        const days = {
          back: wholeNumber('--days-back', o.daysBack, 1),
          ahead: wholeNumber('--days-ahead', o.daysAhead, 0),
        };
        const r = new DistrictReceiver({ databaseUrl: o.database, days });
        if (o.migrate) await r.migrate();
        else {
          const want = DISTRICT_MIGRATIONS.at(-1)?.version ?? 0;
          const have = await r.store.schemaVersion();
          if (have < want) {
            await r.close();
            throw new Error(
              `the district database is at schema ${have}, this receiver needs ${want}: run classedge-district migrate with the owner's login`,
            );
          }
        }
        const port = await r.listen(
          Number(o.port),
          o.host,
          o.tlsCert && o.tlsKey ? { certFile: o.tlsCert, keyFile: o.tlsKey } : undefined,
        );
        process.stdout.write(`listening ${port}\n`);
        if (o.consolePort !== undefined) {
          const c = await r.listenConsole(wholeNumber('--console-port', o.consolePort, 0), o.consoleHost, {
            offlineAfterMs,
            ...(o.consoleReadDatabase ? { readDatabaseUrl: o.consoleReadDatabase } : {}),
            ...(o.tlsCert && o.tlsKey ? { tls: { certFile: o.tlsCert, keyFile: o.tlsKey } } : {}),
          });
          process.stdout.write(`console listening ${c.port}\n`);
        }
        // A second signal ends the process at once instead of waiting for the pool to drain.
        let stopping = false;
        const stop = (): void => {
          if (stopping) process.exit(1);
          stopping = true;
          void r.close().then(() => process.exit(0));
        };
        process.on('SIGTERM', stop);
        process.on('SIGINT', stop);
      },
    );
  db(
    program
      .command('migrate')
      .description(
        "Create or update the district's tables, its key pair and the classedge_receiver role (run with the database owner's login).",
      ),
  ).action(async (o: { database: string }) => {
    const r = new DistrictReceiver({ databaseUrl: o.database });
    await r.migrate();
    const version = await r.store.schemaVersion();
    await r.close();
    process.stdout.write(`district schema ${version}\n`);
  });
  db(
    program
      .command('token')
      .command('create')
      .description(`A one-time enrolment token for one appliance id (valid ${ENROL_TOKEN_HOURS} h).`),
  )
    .requiredOption('--appliance <id>', 'the appliance id (config appliance.id)')
    .option('--school <name>', 'school of the classroom', '')
    .option('--json', 'print as JSON')
    .action(async (o: { database: string; appliance: string; school: string; json?: boolean }) => {
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      const token = await r.createToken(o.appliance, o.school);
      await r.close();
      process.stdout.write(o.json ? `${JSON.stringify({ appliance: o.appliance, token })}\n` : `${token}\n`);
    });
  db(
    program
      .command('config')
      .command('publish')
      .description(
        'Publish signed desired configuration (a partial settings file, JSON or YAML) to one appliance, a school, or all.',
      ),
  )
    .requiredOption('--file <file>', 'settings to set, e.g. {"kiosk": {"idleLockSeconds": 600}}')
    .option('--appliance <id>', 'one appliance')
    .option('--school <name>', 'every appliance of a school')
    .option('--all', 'every appliance')
    .action(async (o: { database: string; file: string; appliance?: string; school?: string; all?: boolean }) => {
      const config = settingsFile(o.file);
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      const versions = await r.publishConfig(
        {
          ...(o.appliance ? { appliance: o.appliance } : {}),
          ...(o.school ? { school: o.school } : {}),
          all: o.all === true,
        },
        config,
      );
      await r.close();
      process.stdout.write(`${JSON.stringify(versions)}
`);
    });
  db(
    program
      .command('appliances')
      .description(
        "Enrolled appliances: online or offline by their last heartbeat, software version, components not running, disk free, and each stream's committed position.",
      ),
  )
    .option('--offline-after-minutes <n>', 'offline once the last heartbeat is this old', String(OFFLINE_AFTER_MINUTES))
    .option('--json', 'print as JSON')
    .action(async (o: { database: string; json?: boolean; offlineAfterMinutes: string }) => {
      const offline = minutes('--offline-after-minutes', o.offlineAfterMinutes);
      const r = new DistrictReceiver({ databaseUrl: o.database });
      await r.migrate();
      const rows = await r.fleet.fleet(new Date(), offline * 60_000);
      await r.close();
      process.stdout.write(o.json ? `${JSON.stringify(rows, null, 2)}\n` : `${rows.map(fleetLine).join('\n')}\n`);
    });
  db(
    program
      .command('provision-bulk')
      .description(
        'A classrooms CSV (id,district,school,grade,class,room,name,timezone) into one-time tokens and one provisioning file per box.',
      ),
  )
    .argument('<csv>', 'classrooms CSV (UTF-8 or GB18030)')
    .requiredOption('--out <dir>', 'where the <id>.yaml files go (they hold tokens: keep them safe)')
    .requiredOption('--district-url <url>', 'the URL the boxes reach the receiver at')
    .option('--district-ca <file>', "path of the district's CA PEM on the boxes")
    .option('--hours <n>', 'token validity in hours', String(ENROL_TOKEN_HOURS))
    .option('--config <file>', 'settings (JSON or YAML) published to each box as its first signed configuration')
    .action(
      async (
        csv: string,
        o: { database: string; out: string; districtUrl: string; districtCa?: string; hours: string; config?: string },
      ) => {
        if (!/^\d+$/.test(o.hours) || Number(o.hours) < 1)
          throw new Error(`--hours: expected a whole number of hours, got '${o.hours}'`);
        const { parseClassrooms, provisionBulk } = await import('./bulk.js');
        const rows = parseClassrooms(readFileSync(csv));
        const settings = o.config ? settingsFile(o.config) : undefined;
        const r = new DistrictReceiver({ databaseUrl: o.database });
        await r.migrate();
        const files = await provisionBulk(r, rows, {
          out: o.out,
          districtUrl: o.districtUrl,
          hours: Number(o.hours),
          ...(o.districtCa ? { caFile: o.districtCa } : {}),
        });
        if (settings) for (const f of files) await r.publishConfig({ appliance: f.id }, settings);
        await r.close();
        process.stdout.write(`${files.map((f) => `${f.id}\t${f.file}`).join('\n')}\n`);
      },
    );
  db(
    program
      .command('update-bundle')
      .description(
        "Sign an install tree (bin/, dist/, node_modules/, package.json) as an update bundle with the district's key.",
      ),
  )
    .requiredOption('--dir <dir>', 'the install tree')
    .requiredOption('--version <version>', 'its version, e.g. 1.4.0')
    .requiredOption('--out <file>', 'bundle to write')
    .option('--channel <name>', "release channel it is for (the appliances' update.channel)", 'stable')
    .option('--expires-days <n>', 'days until the appliances refuse it', '90')
    .option('--appliance <id...>', 'only these appliances may install it (default: any of the district)')
    .action(
      async (o: {
        database: string;
        dir: string;
        version: string;
        out: string;
        channel: string;
        expiresDays: string;
        appliance?: string[];
      }) => {
        const { makeBundle } = await import('../../edge/update/bundle.js');
        if (!/^\d+$/.test(o.expiresDays) || Number(o.expiresDays) < 1 || Number(o.expiresDays) > 366)
          throw new Error(`--expires-days: expected whole days from 1 to 366, got '${o.expiresDays}'`);
        const r = new DistrictReceiver({ databaseUrl: o.database });
        await r.migrate();
        const key = await r.signingKey();
        await r.close();
        const bundle = {
          version: o.version,
          channel: o.channel,
          expiresAt: new Date(Date.now() + Number(o.expiresDays) * 86_400_000),
          ...(o.appliance ? { appliances: o.appliance } : {}),
        };
        process.stdout.write(`${JSON.stringify(makeBundle(o.dir, bundle, key, o.out))}\n`);
      },
    );
  registerKeyCommand(program, db);
  registerUserCommand(program, db);
  registerRolloutCommand(program, db);
  return program;
}

export async function runDistrict(argv: string[]): Promise<void> {
  await districtProgram().parseAsync(argv);
}
