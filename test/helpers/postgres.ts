import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './env.js';

const BIN = '/usr/lib/postgresql/15/bin';

export interface TestPostgres {
  url: string;
  port: number;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * A temp directory for one server, owned by `postgres` when the tests run as root; `as` runs a
 * program as that user then (the server refuses root), else as whoever runs the tests.
 */
function serverDir(prefix: string): { dir: string; as: { uid?: number; gid?: number } } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (process.getuid?.() !== 0) return { dir, as: {} };
  const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, uid, gid);
  return { dir, as: { uid, gid } };
}

/** A fast shutdown, waited for, then the server's directory removed. */
async function stopServer(child: ChildProcess, dir: string): Promise<void> {
  if (child.exitCode === null) {
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await gone;
  }
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A real PostgreSQL from Debian in a temp directory on a random loopback port, owned by the
 * `postgres` user (the server refuses to run as root), trust authentication on loopback only.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const { dir, as } = serverDir('classedge-pg-');
  const data = join(dir, 'data');
  const init = spawnSync(`${BIN}/initdb`, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync'], {
    encoding: 'utf8',
    ...as,
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr}`);
  const port = await freePort();
  const child = spawn(
    `${BIN}/postgres`,
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...as },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const base = `postgresql://postgres@127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      await c.query('CREATE DATABASE district');
      await c.end();
      break;
    } catch (err) {
      if (i > 100 || child.exitCode !== null) throw new Error(`postgres did not start: ${String(err)}\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: `${base}/district`,
    port,
    process: child,
    stop: () => stopServer(child, dir),
  };
}

/**
 * A streaming replica of `primary` (Debian's PostgreSQL: `pg_basebackup -R` from the primary, then
 * a second server on its own port in hot standby). The backup asks for a fast checkpoint: a spread
 * one made it wait about 90 s. Its `url` reads the primary's `district` database as replicated.
 */
export async function startReplica(primary: TestPostgres): Promise<TestPostgres> {
  const { dir, as } = serverDir('classedge-pg-replica-');
  const data = join(dir, 'data');
  const backup = spawnSync(
    `${BIN}/pg_basebackup`,
    [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      data,
      '-R',
      '-X',
      'stream',
      '--no-sync',
      '--checkpoint=fast',
    ],
    { encoding: 'utf8', ...as },
  );
  if (backup.status !== 0) throw new Error(`pg_basebackup failed: ${backup.stderr}`);
  const port = await freePort();
  const child = spawn(
    `${BIN}/postgres`,
    ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'hot_standby=on'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...as },
  );
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  const url = `postgresql://postgres@127.0.0.1:${port}/district`;
  for (let i = 0; ; i++) {
    try {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      const r = await c.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby');
      await c.end();
      if (!r.rows[0]?.standby) throw new Error('the replica is not in recovery');
      break;
    } catch (err) {
      if (i > 150 || child.exitCode !== null) throw new Error(`the replica did not start: ${String(err)}\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    port,
    process: child,
    stop: () => stopServer(child, dir),
  };
}
