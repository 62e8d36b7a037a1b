import type { Logger } from '../log.js';
import type { SdNotify } from './sd-notify.js';

/** What a signal asks of the process: stop within `timeoutMs`, resolving true when everything stopped. */
export interface Stoppable {
  stop(): Promise<boolean>;
}

export interface SignalExit {
  /** True once the first signal came: a start still under way must not announce readiness. */
  readonly stopping: boolean;
}

/** How long the store may take to close after the registry's bound before the process ends anyway. */
export const HARD_EXIT_MARGIN_MS = 1000;

/**
 * SIGTERM/SIGINT stop `target` (exit 0 when everything stopped in time, else 1). A second signal
 * ends the process at once (exit 1): whoever sends it (an operator's second Ctrl-C, a supervisor
 * that gave up waiting) has decided not to wait for a hung driver. The time bound plus a short
 * margin ends it too, however far the shutdown got.
 */
export function exitOnSignals(
  target: Stoppable,
  o: { log: Logger; timeoutMs: number; notify?: SdNotify | undefined },
): SignalExit {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      o.log.warn({ signal }, 'second signal: exiting without waiting for the shutdown');
      process.exit(1);
    }
    stopping = true;
    o.log.info({ signal }, 'stopping');
    o.notify?.send('STOPPING=1');
    setTimeout(() => {
      o.log.error({ timeoutMs: o.timeoutMs }, 'shutdown did not end within its bound: exiting');
      process.exit(1);
    }, o.timeoutMs + HARD_EXIT_MARGIN_MS).unref();
    target.stop().then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        o.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    get stopping() {
      return stopping;
    },
  };
}
