/**
 * Running a command to its end from a test or a script, without blocking the event loop (simulated peers in the same
 * process must keep answering while it runs): its exit code and output, or, for {@link runCommandOk}, its standard
 * output and an error carrying everything it said when it fails.
 */
import { spawn } from 'node:child_process';

/** A finished command: its exit code (null when a signal ended it) and what it wrote. */
export interface CommandRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how a command runs. */
export interface RunOptions {
  cwd?: string;
  /** The whole environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** Killed with SIGKILL after this long (default: never). */
  timeoutMs?: number;
}

/** Runs `file` with `args` to its end; resolves whatever its exit code (rejects only when it cannot start). */
export function runCommand(file: string, args: readonly string[], options: RunOptions = {}): Promise<CommandRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += String(c)));
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs `file` with `args`; resolves its standard output when it exits 0, else rejects with all it said. */
export async function runCommandOk(file: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const { code, stdout, stderr } = await runCommand(file, args, options);
  if (code === 0) return stdout;
  throw new Error(`${file} ${args.join(' ')} failed (exit ${code}):\n${stdout}${stderr}`.slice(0, 8_000));
}
