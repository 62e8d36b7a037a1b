import { spawn } from 'node:child_process';
import { CLI, tempDir } from './env.js';

export interface RunningDemo {
  /** The kiosk's address as the demo prints it (http://127.0.0.1:PORT, no trailing slash). */
  url: string;
  child: ReturnType<typeof spawn>;
  /** End the demo (SIGTERM, waiting for its exit) and remove its folder. */
  stop(): Promise<void>;
}

/**
 * `classedge start --demo` as the README's quick start runs it, in a folder of its own, on ports
 * the system picks; resolves once it prints the kiosk's address.
 */
export async function startDemo(timeoutMs = 90_000): Promise<RunningDemo> {
  const dir = tempDir();
  const child = spawn(
    process.execPath,
    [CLI, 'start', '--demo', '--http-port', '0', '--mqtt-port', '0', '--log-level', 'warn'],
    {
      cwd: dir.path,
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    dir.cleanup();
  };
  let banner = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no kiosk URL in: ${banner}`)), timeoutMs);
      child.once('exit', (code) => reject(new Error(`the demo ended (${code}): ${banner}`)));
      child.stderr?.on('data', (d: Buffer) => {
        banner += d.toString();
        const m = /Kiosk:\s+(http:\/\/\S+?)\/?\s/.exec(banner);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    return { url, child, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
