/**
 * The BullMQ peer's server: Debian's `redis-server` (7.x), started by the bench in its own directory with
 * append-only persistence flushed every second (`--appendonly yes --appendfsync everysec`, no RDB snapshots), on a
 * free local port, and stopped with it.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, stopProcess, waitFor } from '../../../devstack/dev-server';

/** A running Redis. */
export interface RedisServer {
  host: string;
  port: number;
  pid: number;
  /** `redis-server --version`'s `v=` field, e.g. `7.0.15`. */
  version: string;
  /** The server's persistence settings, as started. */
  persistence: string;
  stop(): Promise<void>;
}

/** The binary: `REDIS_SERVER`, else `redis-server` on the PATH (Debian's package `redis-server`). */
function redisBinary(): string {
  return process.env.REDIS_SERVER ?? 'redis-server';
}

function versionOf(binary: string): string {
  try {
    const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(out)?.[1] ?? out.trim();
  } catch {
    throw new Error(
      `${binary} not found: install Debian's redis-server (apt-get install redis-server) or set REDIS_SERVER`,
    );
  }
}

/** Whether Redis answers PING on `port`. */
function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.setTimeout(1_000, () => socket.destroy());
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      answer += d.toString();
      if (answer.includes('\r\n')) socket.end();
    });
    socket.on('close', () => resolve(answer.startsWith('+PONG')));
    socket.on('error', () => resolve(false));
  });
}

/** Starts Redis in `<work>/redis` (its append-only file and log there). */
export async function startRedis(work: string): Promise<RedisServer> {
  const binary = redisBinary();
  const version = versionOf(binary);
  const dir = path.join(work, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const persistence = ['--appendonly', 'yes', '--appendfsync', 'everysec', '--save', ''];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, ...persistence, '--daemonize', 'no'];
  const out = fs.openSync(path.join(dir, 'redis.log'), 'a');
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', out, out] });
  fs.closeSync(out);
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `exit code ${code}, signal ${signal}`));
  try {
    await waitFor(`redis-server on :${port}`, async () => {
      if (exited) throw new Error(`redis-server stopped (${exited}); see ${dir}/redis.log`);
      return pong(port);
    });
  } catch (err) {
    await stopProcess(child);
    throw err;
  }
  return {
    host: '127.0.0.1',
    port,
    pid: child.pid!,
    version,
    persistence: persistence.map((a) => (a === '' ? "''" : a)).join(' '),
    stop: () => stopProcess(child),
  };
}
