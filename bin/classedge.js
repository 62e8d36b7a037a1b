#!/usr/bin/env node
// Entry point kept in plain JS so `npx classedge` works without a TypeScript loader;
// the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import { run } from '../dist/edge/cli/main.js';

run(process.argv).catch((err) => {
  process.stderr.write(`classedge: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
