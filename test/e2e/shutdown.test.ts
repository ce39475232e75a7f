/**
 * Graceful shutdown of `worker/main.ts` run as its own process, as in production: its probes (`/healthz`, `/readyz`),
 * its JSON log lines, SIGTERM while a compensation is in flight lets it finish (readiness 503 meanwhile), the process
 * exits 0, and a new worker completes the order with nothing lost or repeated.
 */
import type { Client } from '@temporalio/client';
import { startOrder } from '../../client';
import { freePort, waitFor } from '../../tools/devstack/dev-server';
import { HEALTH_PATHS, probeStatus } from '../../worker/health';
import { connectClient } from '../harness/env';
import { orderInput } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import { spawnWorkerProcess, type WorkerProcess } from '../harness/worker-process';

/** A worker process on the stack's environment, compensation calls allowed 10 s. */
const spawnWorker = (env: Record<string, string>): WorkerProcess =>
  spawnWorkerProcess({ ...env, COMPENSATION_TIMEOUT_MS: '10000' });

describe('a worker process', () => {
  let client: Client;
  let stack: Stack;
  beforeAll(async () => {
    client = await connectClient();
    stack = await startStack();
    // The peers stay; the in-process worker gives way to real worker processes.
    await stack.stopWorker();
  });
  afterAll(async () => {
    await stack.stop();
    await client.connection.close();
  });

  it('SIGTERM during a compensation: readiness turns 503, the activity completes, the process exits 0, the next worker finishes the order', async () => {
    const healthPort = await freePort();
    const first = spawnWorker({ ...stack.env, WORKER_HEALTH_PORT: String(healthPort) });
    const probe = (p: string): Promise<number> => probeStatus(healthPort, p);
    await waitFor('the worker to be ready', async () => (await probe(HEALTH_PATHS.ready)) === 200, {
      timeoutMs: 60_000,
    });
    expect(first.output()).toContain('worker polling');
    expect(await probe(HEALTH_PATHS.live)).toBe(200);

    const input = orderInput({ dueInMs: 300, subOrderCount: 2 });
    await seedOrder(stack.peer, input);
    const slow = input.subOrders[0]!.outTradeNo;
    stack.orderService.faults.add({ kind: 'DELAY', count: 1, orderNo: slow, delayMs: 4_000 });
    const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
    await waitFor('the slow compensation to be in flight', async () =>
      stack.orderService.log.some((e) => e.outTradeNo === slow && e.fault === 'DELAY'),
    );
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    // Draining the in-flight compensation: alive, no longer ready (an orchestrator sends no more traffic).
    await waitFor('readiness to turn 503', async () => (await probe(HEALTH_PATHS.ready)) === 503);
    expect(await probe(HEALTH_PATHS.live)).toBe(200);
    const code = await first.exited;
    expect(code).toBe(0);
    expect(first.output()).toContain('worker stopped');
    // Every line is one JSON object with time, level and message; the activity lines carry their context.
    const lines = first
      .output()
      .split('\n')
      .filter((l) => l.trim() !== '');
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of entries) expect(Object.keys(e)).toEqual(expect.arrayContaining(['time', 'level', 'msg']));
    expect(entries.some((e) => e.workflowId === input.combineOutTradeNo || e.activityType)).toBe(true);
    // It waited for the in-flight compensation (answered 4 s after it arrived) instead of abandoning it.
    expect(Date.now() - signalledAt).toBeGreaterThan(2_000);

    const second = spawnWorker(stack.env);
    try {
      const result = await handle.result();
      expect(result.outcome).toBe('REVERSED');
      const slowResult = result.subOrders.find((s) => s.outTradeNo === slow);
      // Completed by the first worker during its grace period: not re-sent as a duplicate.
      expect(slowResult?.alreadyCompensated).toBe(false);
      expect(stack.orderService.log.filter((e) => e.outTradeNo === slow)).toHaveLength(1);
      for (const sub of input.subOrders) {
        expect(stack.orderService.log.filter((e) => e.outTradeNo === sub.outTradeNo && e.effective)).toHaveLength(1);
      }
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  }, 120_000);

  it('refuses to start without COMPENSATION_HMAC_SECRET or with one not whsec_, naming it, unless COMPENSATION_UNSIGNED=allow says so', async () => {
    const unsigned = spawnWorker({ ...stack.env, COMPENSATION_HMAC_SECRET: '' });
    expect(await unsigned.exited).toBe(1);
    expect(unsigned.output()).toMatch(
      /COMPENSATION_HMAC_SECRET is required: one or more space-separated Standard Webhooks/,
    );

    // A secret of the old kind (plain text, no whsec_): refused at start, the variable named, the value never printed.
    const plain = 'plain-old-hmac-secret-0123456789';
    const refused = spawnWorker({ ...stack.env, COMPENSATION_HMAC_SECRET: plain });
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toContain('COMPENSATION_HMAC_SECRET must hold Standard Webhooks secrets (whsec_<base64>)');
    expect(refused.output()).not.toContain(plain);

    const allowed = spawnWorker({ ...stack.env, COMPENSATION_HMAC_SECRET: '', COMPENSATION_UNSIGNED: 'allow' });
    await waitFor('the worker to poll', async () => allowed.output().includes('worker polling'), { timeoutMs: 60_000 });
    expect(allowed.output()).toMatch(/compensationSigned"?:\s*false/);
    allowed.child.kill('SIGTERM');
    expect(await allowed.exited).toBe(0);
  }, 90_000);
});
