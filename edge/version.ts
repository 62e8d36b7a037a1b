import { readFileSync } from 'node:fs';

/** The appliance's version, from package.json (dist/edge/version.js -> ../../package.json). */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
