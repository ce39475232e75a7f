/**
 * A throwaway PostgreSQL for the local cluster: its own data directory and port, listening on 127.0.0.1 only, one
 * superuser `temporal` with a password (scram-sha-256). PostgreSQL refuses to run as root: as root it runs as the
 * `postgres` user (or `CLUSTER_PG_USER`), otherwise as the current user. Durability is traded for speed (fsync off):
 * the data is thrown away with the cluster.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, stopProcess, waitFor } from '../dev-server';

/** A running PostgreSQL. */
export interface Postgres {
  host: string;
  port: number;
  user: string;
  password: string;
  /** The server's log file. */
  logFile: string;
  /** The postmaster's process id. */
  pid: number | undefined;
  /** Fast shutdown (SIGINT), SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** The folder holding `initdb` and `postgres`: CLUSTER_PG_BIN, the newest /usr/lib/postgresql/<n>/bin, or PATH. */
function postgresBinDir(): string {
  const fromEnv = process.env.CLUSTER_PG_BIN?.trim();
  if (fromEnv) return fromEnv;
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0]) return path.join(root, versions[0], 'bin');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error(
    'PostgreSQL (initdb, postgres) not found: install it (apt-get install postgresql) or set CLUSTER_PG_BIN',
  );
}

/** The uid/gid PostgreSQL runs as: ourselves, or (as root) `CLUSTER_PG_USER`, default `postgres`. */
function runAs(): { uid: number; gid: number; name: string } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const name = process.env.CLUSTER_PG_USER?.trim() || 'postgres';
  const id = (flag: string): number => {
    try {
      return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    } catch {
      throw new Error(
        `PostgreSQL refuses to run as root and there is no user "${name}" to run it as: ` +
          `create one (useradd --system ${name}) or set CLUSTER_PG_USER to an existing unprivileged user`,
      );
    }
  };
  return { uid: id('-u'), gid: id('-g'), name };
}

/** Initializes a cluster in `<dir>/pgdata` and starts it on a free port; resolves once it accepts connections. */
export async function startPostgres(dir: string, log: (line: string) => void): Promise<Postgres> {
  const bin = postgresBinDir();
  const user = runAs();
  const owner = user ? { uid: user.uid, gid: user.gid } : {};
  const data = path.join(dir, 'pgdata');
  const sockets = path.join(dir, 'pgsocket');
  const password = randomBytes(12).toString('hex');
  const pwFile = path.join(dir, 'pgpass.tmp');
  fs.mkdirSync(data, { mode: 0o700 });
  fs.mkdirSync(sockets, { mode: 0o700 });
  fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (user) for (const p of [data, sockets, pwFile]) fs.chownSync(p, user.uid, user.gid);
  const init = spawnSync(
    path.join(bin, 'initdb'),
    [
      '-D',
      data,
      '-U',
      'temporal',
      `--pwfile=${pwFile}`,
      '-A',
      'scram-sha-256',
      '-E',
      'UTF8',
      '--locale=C',
      '--no-sync',
    ],
    { ...owner, encoding: 'utf8' },
  );
  fs.rmSync(pwFile);
  if (init.status !== 0) throw new Error(`initdb failed (exit ${init.status}): ${init.stderr || init.error?.message}`);
  const port = await freePort();
  const logFile = path.join(dir, 'postgres.log');
  const out = fs.openSync(logFile, 'a');
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: sockets,
    max_connections: '300',
    shared_buffers: '64MB',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
  };
  const args = ['-D', data, '-p', String(port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn(path.join(bin, 'postgres'), args, { ...owner, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  log(`PostgreSQL ${path.basename(path.dirname(bin))} on 127.0.0.1:${port}${user ? ` as ${user.name}` : ''}`);
  await waitUntilReady(child, bin, port, logFile);
  return {
    host: '127.0.0.1',
    port,
    user: 'temporal',
    password,
    logFile,
    pid: child.pid,
    stop: () => stopPostgres(child),
  };
}

async function waitUntilReady(child: ChildProcess, bin: string, port: number, logFile: string): Promise<void> {
  try {
    await waitFor(
      `PostgreSQL on 127.0.0.1:${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`postgres exited (code ${child.exitCode})`);
        const ready = spawnSync(path.join(bin, 'pg_isready'), ['-q', '-h', '127.0.0.1', '-p', String(port)]);
        return ready.status === 0;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  } catch (err) {
    await stopPostgres(child);
    const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8').slice(-1500) : '';
    throw new Error(`${(err as Error).message}\n${tail}`);
  }
}

/** SIGINT is PostgreSQL's fast shutdown: it disconnects clients and stops at once. */
async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const timer = setTimeout(() => void stopProcess(child, 1_000), 15_000);
  await exited;
  clearTimeout(timer);
}
