/**
 * The short chaos run in CI: `tools/scripts/chaos.ts` (with tsx) with fewer orders and kills (the full run is
 * `npm run test:chaos`). It runs its own dev server, simulator, order service and two processes of the built worker
 * (`dist/worker/main.js`, built first when stale, as `npm run test:chaos` does), and checks the invariants of
 * `tools/devstack/chaos/invariants.ts` and the money oracle: every day of the run reconciled against the peer's trade
 * bill by the product's reconciliation, every debit and reverse row matched, 0 mismatches.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { CHAOS_PLANS } from '../../tools/devstack/chaos/invariants';

const run = promisify(execFile);

describe('chaos (short)', () => {
  it('60 orders of every plan, 2 worker SIGKILLs, a server restart, >20% faulted query and reverse calls: 0 invariant violations, the books balance', async () => {
    const root = path.resolve(__dirname, '..', '..');
    await run(process.execPath, ['tools/scripts/build-if-stale.js'], { cwd: root });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'tools/scripts/chaos.ts'], {
      cwd: root,
      env: { ...process.env, CHAOS_ORDERS: '60', CHAOS_KILLS: '2', CHAOS_MAX_MS: '420000' },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((err: { stdout?: string; message?: string }) => ({ stdout: err.stdout ?? err.message ?? '' }));
    const last = stdout.trim().split('\n').pop() ?? '';
    const closing =
      /^chaos: 60 orders, 2 kills, \d+ faults injected, 0 invariant violations, bill: \d days?, (\d+) rows, (\d+) matched, (\d+) unsettled, 0 mismatches$/.exec(
        last,
      );
    expect(closing).not.toBeNull();
    // Every plan that debits puts rows in the bill; all of them belong to an order with an outcome, or are unsettled.
    const [rows, matched, unsettled] = closing!.slice(1).map(Number);
    expect(rows).toBeGreaterThan(0);
    expect(matched! + unsettled!).toBe(rows);
    for (const plan of CHAOS_PLANS) expect(stdout).toContain(`| ${plan} → `);
    for (const route of ['query', 'reverse']) {
      const faulted = new RegExp(`${route} calls (\\d+), (\\d+) faulted`).exec(stdout);
      expect(faulted).not.toBeNull();
      expect(Number(faulted![2]) / Number(faulted![1])).toBeGreaterThan(0.2);
    }
    // Rule h in its strong form: every accepted reverse answer is found in the peer's log by its nonce.
    const tied = /found in the peer log by nonce (\d+)\/(\d+)/.exec(stdout);
    expect(Number(tied?.[2])).toBeGreaterThan(0);
    expect(tied?.[1]).toBe(tied?.[2]);
  }, 600_000);
});
