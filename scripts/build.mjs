// npm run build: the server's TypeScript, the kiosk's type check and the kiosk's bundle are three
// independent jobs; run side by side they take the time of the longest instead of the sum (the
// demo's first start on a bare machine waits for this). Output is kept per job and printed whole,
// so that errors do not interleave; the build fails if any job fails.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';

// Their command-line entry points (not in the packages' exports, so not require.resolve'd).
const tsc = 'node_modules/typescript/bin/tsc';
const vite = 'node_modules/vite/bin/vite.js';
rmSync('dist', { recursive: true, force: true });

const jobs = [
  ['server', [tsc, '-p', 'tsconfig.json']],
  ['kiosk types', [tsc, '-p', 'ui-kiosk/tsconfig.json']],
  ['kiosk bundle', [vite, 'build', 'ui-kiosk']],
];
const results = await Promise.all(
  jobs.map(
    ([name, args]) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (out += d));
        child.on('error', (err) => resolve({ name, code: 1, out: `${out}${err.message}\n` }));
        child.on('close', (code) => resolve({ name, code, out }));
      }),
  ),
);
let failed = false;
for (const r of results) {
  if (r.out.trim()) process.stdout.write(r.out.endsWith('\n') ? r.out : `${r.out}\n`);
  if (r.code !== 0) {
    failed = true;
    process.stderr.write(`build: ${r.name} failed (exit ${r.code})\n`);
  }
}
process.exit(failed ? 1 : 0);
