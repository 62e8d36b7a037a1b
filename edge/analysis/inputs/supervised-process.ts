import { spawn, type ChildProcess } from 'node:child_process';

const RESTART_MS = [1000, 2000, 5000, 10000, 30000];

export interface SupervisedOptions {
  command: string;
  args: readonly string[];
  /** stdout bytes as they come. */
  onData(chunk: Buffer): void;
  /** Called when the program ended by itself and is not restarted (a finished file). */
  onFinished?(): void;
  /** Whether an exit with this code is the natural end (no restart). */
  finished?(code: number | null): boolean;
  /** The program stopped and will be started again in `waitMs`; `why` ends with its last stderr line. */
  onRestarting(why: string, waitMs: number): void;
}

/**
 * A capture program (arecord, ffmpeg) kept running: its stdout goes to `onData`, its last stderr
 * line explains a stop, and it is started again with back-off (1 s up to 30 s) until `stop()`.
 * The back-off resets once data flows again.
 */
export class SupervisedProcess {
  #child: ChildProcess | undefined;
  #stopping = false;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  restarts = 0;

  constructor(private readonly o: SupervisedOptions) {}

  start(): void {
    this.#stopping = false;
    this.#spawn();
  }

  #spawn(): void {
    const child = spawn(this.o.command, [...this.o.args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-500)));
    child.stdout.on('data', (chunk: Buffer) => {
      this.#failures = 0;
      this.o.onData(chunk);
    });
    child.on('error', (err) => (stderr = err.message));
    child.on('close', (code) => {
      this.#child = undefined;
      if (this.#stopping) return;
      if (this.o.finished?.(code)) return this.o.onFinished?.();
      const wait = RESTART_MS[Math.min(this.#failures, RESTART_MS.length - 1)]!;
      this.#failures++;
      this.restarts++;
      this.o.onRestarting(
        `${this.o.command} stopped (${code ?? 'signal'}): ${stderr.trim().split('\n').pop() ?? ''}`,
        wait,
      );
      this.#timer = setTimeout(() => this.#spawn(), wait);
    });
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    const child = this.#child;
    if (!child) return;
    const closed = new Promise<void>((r) => child.once('close', () => r()));
    child.kill('SIGTERM');
    await closed;
  }
}
