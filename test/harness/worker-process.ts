/**
 * The product worker as its own process (`worker/main.ts`, as in production), for the suites that signal or version it.
 * From its sources (with tsx), so that these suites test the working tree without a build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');

/** A worker process: its output so far and its exit code once it has exited. */
export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * Starts `worker/main.ts` with this process's environment, the run's test workflow bundle and `env` on top (which may
 * name another bundle in `WORKFLOW_BUNDLE_PATH`).
 */
export function spawnWorkerProcess(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE!, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
