import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Appliance } from '../../runtime/appliance.js';
import { createLogger } from '../../log.js';
import { resolveConfig, type CommonOptions } from '../io.js';
import { ConfigError } from '../../errors.js';
import type { ConfigSource } from '../../config/edit.js';
import { kioskMount } from '../../api/kiosk-static.js';
import { SdNotify } from '../../runtime/sd-notify.js';
import { exitOnSignals } from '../../runtime/shutdown.js';
import { ensureDemoAccounts, ensureDemoRoster, demoOverlay, DEMO_ACCOUNTS, demoLesson } from '../demo.js';

/** The demo's recording: made in the background when missing; without espeak-ng and sox the demo says so. */
function demoLessonPath(): string {
  const lesson = demoLesson();
  lesson.ready.catch((err: unknown) => {
    process.stderr.write(
      `demo lesson recording not made (${(err as Error).message.split('\n')[0]}); install espeak-ng and sox for the interaction demo\n`,
    );
  });
  return lesson.path;
}

interface StartOptions extends CommonOptions {
  demo?: boolean;
  logLevel?: string;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run the appliance: store, MQTT broker, API, live events and configured components.')
    .option('-c, --config <file>', 'configuration file (YAML)')
    .option('--data-dir <dir>', 'data directory (env CLASSEDGE_DATA_DIR)')
    .option('--http-port <port>', 'HTTP port (env CLASSEDGE_HTTP_PORT)')
    .option('--mqtt-port <port>', 'MQTT port (env CLASSEDGE_MQTT_PORT)')
    .option('--log-level <level>', 'override log.level')
    .option('--demo', 'demo mode: local data directory, simulated devices and demo accounts')
    .action(async (opts: StartOptions) => {
      let config;
      let source: ConfigSource;
      const overlay = opts.demo ? demoOverlay(resolve(process.cwd(), '.classedge-demo'), demoLessonPath()) : undefined;
      try {
        ({ config, source } = resolveConfig(opts, overlay));
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      // --log-level sets the logger, not the settings: the settings in effect stay those of the file
      // (the admin console compares them with the saved file to say whether a restart is due).
      const log = createLogger({ level: (opts.logLevel ?? config.log.level) as typeof config.log.level });
      const notify = SdNotify.fromEnv(log);
      // One appliance at a time; an admin's 重启服务 replaces it in this process (no supervisor
      // needed: the demo and a hand-started box restart the same way as the systemd service).
      let appliance: Appliance;
      let restarting: Promise<void> | undefined;
      const make = (c: typeof config): Appliance =>
        new Appliance({
          config: c,
          log,
          configSource: source,
          mounts: [kioskMount()],
          onRestart: () => void restart(),
        });
      const restart = (): Promise<void> => {
        restarting ??= (async () => {
          notify?.send('RELOADING=1');
          const old = appliance;
          // Ports the settings leave to the system (0) stay the ones in use: open pages and devices find the box again.
          const keep = { http: old.http.port, mqtt: old.broker.port };
          log.info('restart asked by an admin: stopping');
          await old.stop();
          // As flags, so that the settings in effect and the saved file still compare equal.
          if (old.config.http.port === 0) opts.httpPort = String(keep.http);
          if (old.config.mqtt.port === 0) opts.mqttPort = String(keep.mqtt);
          let next = old.config;
          try {
            ({ config: next, source } = resolveConfig(opts, overlay));
          } catch (err) {
            log.error({ err }, 'settings file not valid at restart: starting with the settings in effect before');
          }
          appliance = make(next);
          try {
            await appliance.start();
            if (opts.demo && !appliance.analysis.current()) appliance.analysis.startLesson('demo');
            notify?.send(`READY=1\nSTATUS=serving ${next.appliance.id} on port ${appliance.http.port} (restarted)`);
            log.info('restarted with the saved settings');
          } catch (err) {
            log.fatal({ err }, 'appliance failed to start again');
            await appliance.stop();
            process.exit(1);
          }
        })().finally(() => {
          restarting = undefined;
        });
        return restarting;
      };
      appliance = make(config);
      const signals = exitOnSignals(
        {
          stop: async () => {
            await restarting?.catch(() => undefined);
            return appliance.stop();
          },
        },
        { log, timeoutMs: config.shutdownTimeoutMs, notify },
      );
      try {
        if (opts.demo) {
          await ensureDemoAccounts(appliance.store, config);
          ensureDemoRoster(appliance.store);
        }
        await appliance.start();
        if (signals.stopping) return;
        // The demo is always in a lesson, so the interaction view has something to show.
        if (opts.demo && !appliance.analysis.current()) appliance.analysis.startLesson('demo');
      } catch (err) {
        if (signals.stopping) return;
        log.fatal({ err }, 'appliance failed to start');
        await appliance.stop();
        process.exit(1);
      }
      // systemd (Type=notify): ready once serving; the watchdog is fed while the core is healthy.
      notify?.send(`READY=1\nSTATUS=serving ${config.appliance.id} on port ${appliance.http.port}`);
      const watchdogMs = SdNotify.watchdogMs();
      if (notify && watchdogMs !== undefined)
        notify.startWatchdog(watchdogMs, () => restarting !== undefined || coreHealthy(appliance));
      if (opts.demo) {
        process.stderr.write(
          `\nClassEdge demo is running.\n` +
            `  Kiosk:   http://127.0.0.1:${appliance.http.port}/        (teacher panel)\n` +
            `  Admin:   http://127.0.0.1:${appliance.http.port}/admin   (IT console)\n` +
            `  Health:  http://127.0.0.1:${appliance.http.port}/api/v1/health\n` +
            `  MQTT:    ${appliance.brokerUrl()}\n` +
            `  Demo logins (demo data directory only): admin ${DEMO_ACCOUNTS.admin.username} / ${DEMO_ACCOUNTS.admin.password}, ` +
            `teacher ${DEMO_ACCOUNTS.teacher.username} / PIN ${DEMO_ACCOUNTS.teacher.pin}\n\n`,
        );
      }
    });
}

/** The watchdog's view: every core component up (running or degraded) and the database answering. */
function coreHealthy(appliance: Appliance): boolean {
  if (appliance.registry.core().some((c) => ['failed', 'stopped', 'stopping'].includes(c.status().state))) return false;
  try {
    appliance.store.ping();
    return true;
  } catch {
    return false;
  }
}
