import { resolve } from 'node:path';
import type { Command } from 'commander';
import { Appliance } from '../../runtime/appliance.js';
import { createLogger } from '../../log.js';
import { resolveConfig, type CommonOptions } from '../io.js';
import { ConfigError } from '../../errors.js';
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
      let source;
      try {
        const overlay = opts.demo
          ? demoOverlay(resolve(process.cwd(), '.classedge-demo'), demoLessonPath())
          : undefined;
        ({ config, source } = resolveConfig(opts, overlay));
      } catch (err) {
        if (err instanceof ConfigError) {
          process.stderr.write(`${err.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw err;
      }
      if (opts.logLevel) config.log.level = opts.logLevel as typeof config.log.level;
      const log = createLogger({ level: config.log.level });
      const appliance = new Appliance({ config, log, configSource: source, mounts: [kioskMount()] });
      const notify = SdNotify.fromEnv(log);
      const signals = exitOnSignals(appliance, { log, timeoutMs: config.shutdownTimeoutMs, notify });
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
      if (notify && watchdogMs !== undefined) notify.startWatchdog(watchdogMs, () => coreHealthy(appliance));
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
