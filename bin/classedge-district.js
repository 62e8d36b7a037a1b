#!/usr/bin/env node
// The district side's command (compiled TypeScript in dist/, like bin/classedge.js).
import { runDistrict } from '../dist/cloud-sync/server/cli.js';

runDistrict(process.argv).catch((err) => {
  process.stderr.write(`classedge-district: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
