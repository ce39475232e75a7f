/**
 * The benchmark's short form in CI: `npm run bench -- --engine dev-server` (the side-by-side rounds: product,
 * real-activities ceiling, no-op ceiling, BullMQ) and `npm run bench -- --flash-sale` at small sizes, each on its own
 * stack, writing its report to a temporary folder. No timing is asserted (speed is measured in `npm run bench`, not
 * here): every side completes its orders, the real-activities ceiling makes the product's signed calls, and the sale's
 * orders all end within the WeChat Pay rate limit. The cluster engine runs the same code with another engine
 * (`--engine cluster`, tools/bench/engine.ts), whose start the cluster test covers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { EngineResults, FlashSaleResults } from '../../tools/bench/results';
import { describeWith, REDIS } from '../harness/needs';

const run = promisify(execFile);
const root = path.resolve(__dirname, '..', '..');

/** Runs `npm run bench -- <args>` with `env`; answers the report folder. */
async function bench(args: string[], env: Record<string, string>): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-short-'));
  await run('npm', ['run', '--silent', 'bench', '--', ...args], {
    cwd: root,
    env: { ...process.env, ...env, BENCH_RESULTS_DIR: dir },
    maxBuffer: 16 * 1024 * 1024,
    timeout: 420_000,
  });
  return dir;
}

const read = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

describeWith([REDIS])('bench (short)', () => {
  it('one interleaved round on the dev server: product, real-activities ceiling, no-op ceiling and BullMQ each reverse every order', async () => {
    const dir = await bench(['--engine', 'dev-server'], { BENCH_PAIRS: '1', BENCH_ORDERS: '12' });
    const r = read<EngineResults>(path.join(dir, 'engine-dev-server.json'));
    expect(r.profile).toBe('engine');
    expect(r.engine).toMatch(/^dev server/);
    for (const side of ['product', 'realCeiling', 'ceiling', 'bullmq'] as const) {
      expect(r.sideBySide[side].reversedPerSec.samples).toHaveLength(1);
      expect(r.sideBySide[side].reversedPerSec.median).toBeGreaterThan(0);
    }
    // The real-activities ceiling runs the real signed calls in its worker: its CPU is measured per round.
    expect(r.workerCpuMsPerOrder.reversedRealCeiling).toBeGreaterThan(0);
    expect(r.cpuRatioToReal.samples).toHaveLength(1);
    // At least the lifecycle's minimum: start, timer, query, reverse, confirming query, two compensations.
    expect(r.actionsPerOrder.reversed).toBeGreaterThanOrEqual(7);
    expect(fs.readFileSync(path.join(dir, 'engine-dev-server.md'), 'utf8')).toContain('`realRatio`');
  });

  it('a flash sale of 60 orders with one deadline: every order reversed and compensated, the rate limit held', async () => {
    const dir = await bench(['--flash-sale'], { BENCH_FLASH_ORDERS: '60', BENCH_FLASH_SUB_MERCHANTS: '6' });
    const r = read<FlashSaleResults>(path.join(dir, 'flash-sale-dev-server.json'));
    expect(r.completed).toBe(60);
    expect(r.lastCompletedSec).not.toBeNull();
    expect(r.boundSec).toBeCloseTo((60 * 3) / r.maxRps);
    expect(r.peakRequestsPerSec).toBeLessThanOrEqual(r.maxRps);
    // Two sub-orders per order over six sub-merchants: 20 each.
    expect(r.subMerchants.map((s) => s.subOrders)).toEqual([20, 20, 20, 20, 20, 20]);
    expect(r.requestsByRouteAndStatus['query 200']).toBeGreaterThanOrEqual(120);
    expect(r.requestsByRouteAndStatus['reverse 204']).toBeGreaterThanOrEqual(60);
  });
});
