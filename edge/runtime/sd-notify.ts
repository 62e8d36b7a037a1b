import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Logger } from '../log.js';
import { programCommand } from './programs.js';

/**
 * systemd's notify protocol (READY=1, WATCHDOG=1, STOPPING=1) without a native module. Node's dgram
 * has no unix datagram sockets, so one long-lived `socat` child forwards each line we write to
 * $NOTIFY_SOCKET. It lives in the service's cgroup for as long as we do, so systemd attributes its
 * datagrams to the unit (NotifyAccess=all); a short-lived `systemd-notify` per message can exit
 * before systemd looks it up, which is why that is only the fallback.
 */
export class SdNotify {
  readonly #socket: string;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(socket: string, log: Logger) {
    this.#socket = socket;
    this.#log = log;
  }

  /** Undefined when not started by systemd (no NOTIFY_SOCKET): then every call is skipped. */
  static fromEnv(log: Logger, env: NodeJS.ProcessEnv = process.env): SdNotify | undefined {
    const socket = env.NOTIFY_SOCKET;
    return socket ? new SdNotify(socket, log) : undefined;
  }

  /**
   * The watchdog interval systemd asked for (half of WatchdogSec), or undefined when it asked for none or for another
   * process.
   */
  static watchdogMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
    const usec = Number(env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== pid) return undefined;
    return Math.max(50, Math.floor(usec / 2000));
  }

  #address(): string {
    // "@name" is the abstract namespace.
    return this.#socket.startsWith('@') ? `ABSTRACT-SENDTO:${this.#socket.slice(1)}` : `UNIX-SENDTO:${this.#socket}`;
  }

  send(state: string): void {
    if (!this.#child && spawnSync(programCommand('socat'), ['-V'], { stdio: 'ignore' }).status === 0) {
      this.#child = spawn(programCommand('socat'), ['-u', 'STDIN', this.#address()], {
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      this.#child.stderr?.on('data', (d: Buffer) =>
        this.#log.warn({ socat: d.toString().trim() }, 'sd_notify forwarder'),
      );
      this.#child.on('exit', () => (this.#child = undefined));
      this.#child.stdin?.on('error', () => undefined);
    }
    if (this.#child?.stdin?.writable) {
      this.#child.stdin.write(`${state}\n`);
      return;
    }
    const r = spawnSync(programCommand('systemd-notify'), state.split('\n'), { stdio: 'ignore', env: process.env });
    if (r.status !== 0) this.#log.warn({ state }, 'could not notify systemd (neither socat nor systemd-notify worked)');
  }

  /**
   * Feed the watchdog only while `healthy()` holds: a hung event loop sends nothing at all, and an
   * appliance whose core has failed stops feeding, so systemd restarts it.
   */
  startWatchdog(intervalMs: number, healthy: () => boolean): void {
    let fed = true;
    this.#timer = setInterval(() => {
      const ok = healthy();
      if (ok) this.send('WATCHDOG=1');
      if (ok !== fed)
        this.#log[ok ? 'info' : 'warn'](
          {},
          ok ? 'healthy again: feeding the watchdog' : 'not healthy: the watchdog is no longer fed',
        );
      fed = ok;
    }, intervalMs);
    this.#timer.unref();
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#child?.stdin?.end();
  }
}
