import { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerRequest, WorkerResponse } from './worker-protocol.js';

type Answer = Exclude<WorkerResponse, { type: 'ready' } | { type: 'failed' }>;
type DistributiveOmit<T, K extends keyof never> = T extends unknown ? Omit<T, K> : never;

/**
 * The main thread's end of one inference worker: start, request/answer with transferred buffers,
 * and a clean failure (the promise rejects, `failed` says why) if the worker dies.
 */
export class InferenceClient {
  #worker: Worker | undefined;
  #next = 1;
  readonly #pending = new Map<number, { resolve: (a: Answer) => void; reject: (e: Error) => void }>();
  failed: string | undefined;

  constructor(private readonly init: WorkerInit) {}

  get busy(): number {
    return this.#pending.size;
  }

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const w = new Worker(new URL('./inference-worker.js', import.meta.url), { workerData: this.init });
      this.#worker = w;
      let ready = false;
      w.on('message', (m: WorkerResponse) => {
        if (m.type === 'ready') {
          ready = true;
          return resolve();
        }
        if (m.type === 'failed') {
          this.failed = m.message;
          void w.terminate();
          return reject(new Error(m.message));
        }
        const p = this.#pending.get(m.id);
        if (!p) return;
        this.#pending.delete(m.id);
        if (m.type === 'error') p.reject(new Error(m.message));
        else p.resolve(m);
      });
      const die = (why: string): void => {
        this.failed ??= why;
        for (const p of this.#pending.values())
          p.reject(new Error(`${this.init.role} inference worker stopped: ${why}`));
        this.#pending.clear();
        this.#worker = undefined;
        if (!ready) reject(new Error(why));
      };
      w.on('error', (err) => die(err.message));
      w.on('exit', (code) => die(`exited with code ${code}`));
    });
  }

  get alive(): boolean {
    return this.#worker !== undefined;
  }

  request<T extends Answer['type']>(
    m: DistributiveOmit<Exclude<WorkerRequest, { type: 'close' }>, 'id'>,
    transfer: ArrayBuffer[],
  ): Promise<Extract<Answer, { type: T }>> {
    const w = this.#worker;
    if (!w) return Promise.reject(new Error(`${this.init.role} inference worker is not running`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (a: Answer) => void, reject });
      w.postMessage({ ...m, id }, transfer);
    });
  }

  /** Ask the worker to finish and exit; terminate it only if it does not within `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const w = this.#worker;
    this.#worker = undefined;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once('exit', () => r()));
    w.postMessage({ id: 0, type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    if ((await Promise.race([exited, late])) === 'late') await w.terminate();
    clearTimeout(timer);
  }
}
