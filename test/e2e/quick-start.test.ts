/**
 * The README's first command, `npm start`, as a newcomer runs it: the dev server with its Web UI, the simulators and
 * a worker come up on their fixed ports, the demo batch reaches the outcomes the README promises, the Web UI answers,
 * and Ctrl-C (SIGINT to the terminal's process group) stops everything, ports freed. (`npm install` is what `.ci/run`
 * does first, as `npm ci`.)
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { portInUse, waitFor } from '../../tools/devstack/dev-server';

const ROOT = path.resolve(__dirname, '..', '..');

describe('quick start: npm start', () => {
  it('runs the demo batch to 3 PAID, 7 REVERSED, 1 NEEDS_ATTENTION, serves the Web UI, and stops on Ctrl-C', async () => {
    // Its own process group, as a terminal gives it: Ctrl-C reaches npm, the shell and node alike.
    const child = spawn('npm', ['start'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += String(c)));
    child.stderr.on('data', (c: Buffer) => (out += String(c)));
    // 'close': every process of the group that held the output is gone (npm may die of the SIGINT before its child).
    const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => resolve({ code, signal })),
    );
    try {
      await waitFor(
        'the demo to end',
        () => {
          if (child.exitCode !== null) throw new Error(`npm start exited ${child.exitCode}:\n${out}`);
          return Promise.resolve(out.includes('Press Ctrl-C to stop.'));
        },
        { timeoutMs: 240_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- npm start said:\n${out}`);
      });
      expect(out).toMatch(/^Demo done: 3 PAID, 7 REVERSED, 1 NEEDS_ATTENTION\.$/m);
      // The demo's books balance: every debit and reverse row matched, the waiting order's rows unsettled.
      const books =
        /^Books: reconciled against the WeChat Pay simulator's trade bill \(.+\): (\d+) rows, (\d+) matched, (\d+) unsettled \(the order waiting for an operator\), 0 mismatches\.$/m.exec(
          out,
        );
      expect(books).not.toBeNull();
      const [rows, matched, unsettled] = books!.slice(1).map(Number);
      expect(rows).toBeGreaterThan(0);
      expect(unsettled).toBeGreaterThan(0);
      expect(matched! + unsettled!).toBe(rows);
      const ui = /^Temporal Web UI: (http:\/\/\S+)$/m.exec(out)?.[1];
      expect(ui).toBeDefined();
      expect((await fetch(ui!)).status).toBe(200);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGINT');
    }
    const { code, signal } = await closed;
    expect(code === 0 || signal === 'SIGINT').toBe(true);
    expect(out).toContain('Stopped. History is kept in .data/temporal.sqlite for the next npm start.');
    // Nothing is left running: the dev server's and the simulators' ports are free again.
    for (const port of [7233, 8233, 8240, 8241])
      expect({ port, inUse: await portInUse(port) }).toEqual({ port, inUse: false });
  }, 300_000);
});
