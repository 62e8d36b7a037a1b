import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceError } from '../../edge/errors.js';
import { installHint, programCommand } from '../../edge/runtime/programs.js';

/** Two linked pseudo-terminals: bytes written to one come out of the other, like a serial cable. */
export interface PtyPair {
  /** The appliance's end (what a driver opens, like /dev/ttyUSB0). */
  a: string;
  /** The device's end (where a simulator listens). */
  b: string;
  /** Stop carrying bytes (socat stopped): the appliance's writes pile up until the pty buffer is full. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** Made by socat (Debian), as in a classroom a USB-RS485 adapter and its cable would be. */
export async function openPtyPair(dir?: string): Promise<PtyPair> {
  const base = dir ?? mkdtempSync(join(tmpdir(), 'classedge-pty-'));
  const a = join(base, 'appliance');
  const b = join(base, 'device');
  let child: ChildProcess;
  try {
    child = spawn(programCommand('socat'), ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    throw new DeviceError(`cannot start socat for a pseudo-terminal pair (${installHint('socat')})`, { cause: err });
  }
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const failed = new Promise<never>((_resolve, reject) => {
    child.once('error', (err) => reject(new DeviceError(`socat failed: ${err.message} (${installHint('socat')})`)));
    child.once('exit', (code) => reject(new DeviceError(`socat exited ${code}: ${stderr.trim()}`)));
  });
  const ready = (async () => {
    const deadline = Date.now() + 5000;
    while (!(existsSync(a) && existsSync(b) && /starting data transfer loop/.test(stderr))) {
      if (Date.now() > deadline) throw new DeviceError(`socat did not create ${a} and ${b} in 5 s`);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await Promise.race([ready, failed]);
  failed.catch(() => undefined);
  return {
    a,
    b,
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    close: async () => {
      if (child.exitCode === null) {
        child.kill('SIGCONT');
        const gone = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await gone;
      }
      if (dir === undefined) rmSync(base, { recursive: true, force: true });
    },
  };
}
