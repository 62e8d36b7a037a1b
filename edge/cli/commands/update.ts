import type { Command } from 'commander';
import { applyUpdate, recover, type UpdateOptions } from '../../update/update.js';
import { readEnrolment } from '../../sync/keys.js';
import { readInstallRequest, writeInstallResult, type InstallRequest } from '../../update/fleet.js';
import { errorMessage } from '../../errors.js';
import { ClassEdgeError } from '../../errors.js';
import { localHealthUrl } from '../../runtime/local-probe.js';
import { cliActor, loadCliConfig, print, withStore, type CommonOptions } from '../io.js';

interface UpdateCliOptions extends CommonOptions {
  root: string;
  stopCommand: string;
  startCommand: string;
  healthUrl?: string;
  timeout: string;
  recover?: boolean;
  allowDowngrade?: boolean;
  fleet?: boolean;
}

export function registerUpdate(program: Command): void {
  program
    .command('update [bundle]')
    .description(
      "Install a signed update bundle (from the district, e.g. on a USB stick) beside the running version, switch to it, and roll back by itself if it is not healthy in time. The bundle must be for this appliance's update.channel, not expired, and not older than the running version or any version this appliance has run. --recover finishes or undoes an interrupted update.",
    )
    .option('--root <dir>', 'install root holding versions/ and the current symlink', '/opt/classedge')
    .option('--stop-command <cmd>', 'stops the service', 'systemctl stop classedge')
    .option('--start-command <cmd>', 'starts the service', 'systemctl start classedge')
    .option(
      '--health-url <url>',
      'health check of the started version (default http(s)://127.0.0.1:<http.port>/api/v1/health, https when http.tls is on)',
    )
    .option('--timeout <s>', 'seconds the new version has to become healthy', '120')
    .option(
      '--allow-downgrade',
      'install a version older than the running one, or than the highest this appliance has run (audited)',
    )
    .option('--recover', 'only recover from an interrupted update (the service runs this before it starts)')
    .option(
      '--fleet',
      'install the fleet update the service asked for (<data dir>/updates/install-request.json) and write its outcome beside it for the service to report (docs/fleet-updates.md)',
    )
    .option('-c, --config <file>', 'configuration file')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--http-port <port>', 'HTTP port of the service (env CLASSEDGE_HTTP_PORT)')
    .option('--json', 'print as JSON')
    .action(async (bundle: string | undefined, opts: UpdateCliOptions) => {
      const config = loadCliConfig(opts);
      if (!/^\d+$/.test(opts.timeout) || Number(opts.timeout) < 5)
        throw new ClassEdgeError(
          'invalid_input',
          `--timeout: expected whole seconds, at least 5, got '${opts.timeout}'`,
        );
      const e = readEnrolment(config.dataDir);
      const steps: string[] = [];
      let fleet: InstallRequest | undefined;
      if (opts.fleet) {
        fleet = readInstallRequest(config.dataDir);
        if (!fleet) {
          print(opts, { fleet: 'nothing asked for' }, () => 'no fleet update asked for');
          return;
        }
        bundle = fleet.file;
      }
      const o: UpdateOptions = {
        root: opts.root,
        config,
        applianceId: e?.applianceId ?? config.appliance.id,
        stopCommand: opts.stopCommand,
        startCommand: opts.startCommand,
        healthUrl: opts.healthUrl ?? localHealthUrl(config.http),
        healthTimeoutMs: Number(opts.timeout) * 1000,
        log: (line) => {
          steps.push(line);
          process.stderr.write(`${line}\n`);
        },
        allowDowngrade: opts.allowDowngrade === true,
      };
      if (opts.recover) {
        const what = await recover(o);
        print(opts, { recovered: what }, () => what);
        return;
      }
      if (!bundle) throw new ClassEdgeError('invalid_input', 'give the update bundle file (or --recover)');
      if (!e)
        throw new ClassEdgeError(
          'not_enrolled',
          'this appliance is not enrolled, so it has no district key to check an update with: provision it first',
        );
      let r: Awaited<ReturnType<typeof applyUpdate>>;
      try {
        r = await applyUpdate(bundle, e.districtPublicKeyPem, o);
      } catch (err) {
        if (fleet)
          writeInstallResult(config.dataDir, {
            rolloutId: fleet.rolloutId,
            sha256: fleet.sha256,
            state: 'failed',
            detail: errorMessage(err),
          });
        // Refused (signature, channel, expiry, older than the floor) or undone before the switch: on the record too.
        if (err instanceof ClassEdgeError)
          withStore(config, (s) =>
            s.audit.record({
              actor: cliActor(),
              action: 'update',
              target: bundle,
              result: err.code === 'update_failed' ? 'error' : 'denied',
              detail: { error: err.message, allowDowngrade: opts.allowDowngrade === true },
            }),
          );
        throw err;
      }
      withStore(config, (s) =>
        s.audit.record({
          actor: cliActor(),
          action: 'update',
          target: r.to,
          result: r.result === 'rolled-back' ? 'error' : 'ok',
          detail: { ...r, allowDowngrade: opts.allowDowngrade === true },
        }),
      );
      if (fleet) {
        const why = steps.find((l) => l.startsWith('step rolling-back: '))?.slice('step rolling-back: '.length);
        writeInstallResult(config.dataDir, {
          rolloutId: fleet.rolloutId,
          sha256: fleet.sha256,
          state: r.result === 'rolled-back' ? 'rolled-back' : 'installed',
          version: r.result === 'rolled-back' ? r.from : r.to,
          detail:
            r.result === 'rolled-back'
              ? `${r.to} rolled back to ${r.from}: ${why ?? 'not healthy'}`
              : r.result === 'already-current'
                ? `${r.to} was already running`
                : `updated ${r.from} -> ${r.to}`,
        });
      }
      print(opts, r, () =>
        r.result === 'updated'
          ? `updated ${r.from} -> ${r.to}`
          : r.result === 'already-current'
            ? `${r.to} is already running`
            : `${r.to} was not healthy: rolled back to ${r.from}`,
      );
      if (r.result === 'rolled-back') process.exitCode = 1;
    });
}
