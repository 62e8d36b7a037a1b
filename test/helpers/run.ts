import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  out: string;
  err: string;
}

/** Run a command to its end, optionally feeding standard input; never throws on a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  o: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { env: { ...process.env, ...o.env }, ...(o.cwd ? { cwd: o.cwd } : {}) });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, out, err }));
    // A child that exits before reading its input closes the pipe: EPIPE here is not the test's failure.
    c.stdin.on('error', () => undefined);
    c.stdin.end(o.input ?? '');
  });
}
