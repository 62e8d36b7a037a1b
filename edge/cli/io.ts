import { createInterface } from 'node:readline';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigSource } from '../config/edit.js';
import { ENV, envOverrides, loadConfig, type ConfigOverrides } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { Store } from '../store/store.js';
import { userInfo } from 'node:os';

export const DEFAULT_CONFIG_FILE = '/etc/classedge/config.yaml';

export interface CommonOptions {
  config?: string;
  dataDir?: string;
  httpPort?: string;
  mqttPort?: string;
  json?: boolean;
}

/** The config file to use: --config, then $CLASSEDGE_CONFIG, then /etc/classedge/config.yaml if present. */
export function configFile(opts: CommonOptions): string | undefined {
  return opts.config ?? process.env[ENV.config] ?? (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
}

/** Flags beat the environment, which beats the file, which beats the schema's defaults. */
export function overridesFrom(opts: CommonOptions): ConfigOverrides {
  const o = envOverrides();
  if (opts.dataDir !== undefined) o.dataDir = opts.dataDir;
  if (opts.httpPort !== undefined) o.httpPort = opts.httpPort;
  if (opts.mqttPort !== undefined) o.mqttPort = opts.mqttPort;
  return o;
}

/**
 * The configuration and where it lives. With no file named anywhere, `<dataDir>/config.yaml` is
 * used when present: that is where the admin console saves settings on a box set up without one.
 */
export function resolveConfig(
  opts: CommonOptions,
  overlay?: Record<string, unknown>,
): { config: Config; source: ConfigSource } {
  const overrides = overridesFrom(opts);
  let file = configFile(opts);
  if (file === undefined) {
    const bootstrap = loadConfig(undefined, overrides, overlay);
    file = join(bootstrap.dataDir, 'config.yaml');
    if (!existsSync(file)) return { config: bootstrap, source: { file, overrides, ...(overlay ? { overlay } : {}) } };
  }
  return { config: loadConfig(file, overrides, overlay), source: { file, overrides, ...(overlay ? { overlay } : {}) } };
}

export function loadCliConfig(opts: CommonOptions, overlay?: Record<string, unknown>): Config {
  return resolveConfig(opts, overlay).config;
}

export function withStore<T>(config: Config, fn: (store: Store) => T): T {
  const store = Store.open(config);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export async function withStoreAsync<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = Store.open(config);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** Who runs the CLI, for the audit log. */
export function cliActor(): string {
  return `cli:${userInfo().username}`;
}

export function print(opts: { json?: boolean }, data: unknown, human: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(data, null, 2)}\n` : `${human()}\n`);
}

export function table(rows: Record<string, unknown>[], columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cell = (v: unknown): string => (v === null || v === undefined ? '-' : String(v));
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(columns), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

/**
 * Read a secret: hidden prompt on a terminal, else the first line of standard input (scripts:
 * `echo "$PIN" | classedge user add ...`). Never from a flag, which would leave it in shell history.
 */
export async function readSecret(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const rl = createInterface({ input: process.stdin });
    for await (const line of rl) {
      rl.close();
      return line.trim();
    }
    return '';
  }
  process.stderr.write(prompt);
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  let secret = '';
  return new Promise((resolve, reject) => {
    const onData = (buf: Buffer): void => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.setRawMode(false);
          stdin.pause();
          stdin.off('data', onData);
          process.stderr.write('\n');
          return resolve(secret);
        }
        if (ch === '\u0003') {
          stdin.setRawMode(false);
          return reject(new Error('cancelled'));
        }
        if (ch === '\u007f') secret = secret.slice(0, -1);
        else secret += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * A one-time token or other secret that must not be on the command line (every local user sees
 * argv in `ps`): from a file, else a hidden prompt or standard input. `--token` on the command line
 * is still taken, for scripts written before, with a warning (`warning`: in the command's language).
 */
export async function readTokenOption(
  o: { token?: string; tokenFile?: string },
  prompt: string,
  warning = 'warning: --token is visible to every user of this machine (ps); use --token-file or standard input instead',
): Promise<string> {
  if (o.token !== undefined) {
    process.stderr.write(`${warning}\n`);
    return o.token;
  }
  if (o.tokenFile !== undefined) return (readFileSync(o.tokenFile, 'utf8').split('\n')[0] ?? '').trim();
  return readSecret(prompt);
}
