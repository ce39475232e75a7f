/**
 * End to end on the real stack: dev server, the product worker built from environment variables, the WeChat Pay
 * peer (real RSA signatures both ways) and the order-service stub.
 */
import { FAULT_TABLE, recoverableOn } from '../../tools/simulator/wechatpay/fault-table';
import type { Client } from '@temporalio/client';
import { startOrder, markPaid, type OrderInput } from '../../client';
import { compensationWebhookId, retrySignal } from '../../workflows/contract';

import { connectClient, metricsUrl } from '../harness/env';
import { orderInput, waitForPhase } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';
import { expectConfirmedBeforeCompensation } from '../harness/confirmed';

describe('end to end: dev server + worker + WeChat Pay peer + order service', () => {
  let client: Client;
  let stack: Stack;

  beforeAll(async () => {
    client = await connectClient();
    stack = await startStack();
  });
  afterAll(async () => {
    await stack.stop();
    await client.connection.close();
  });
  beforeEach(() => {
    stack.peer.faults.clear();
    stack.orderService.faults.clear();
    stack.peer.settings.repeatReversePolicy = 'NO_CONTENT';
  });

  async function start(input: OrderInput, state: 'PAYING' | 'SUCCESS' | 'NONE' = 'PAYING') {
    if (state !== 'NONE') await seedOrder(stack.peer, input, state);
    return (await startOrder(client, input, { taskQueue: stack.taskQueue })).handle;
  }

  /** Invariants every reversed order must satisfy, read from the peers' logs. */
  function checkReversedOrder(input: OrderInput) {
    const requests = stack.peer.log.filter((e) => e.orderNo === input.combineOutTradeNo && e.route === 'reverse');
    expect(requests.every((e) => !e.authProblem)).toBe(true);
    const firstGood = requests.find((e) => e.answerVerifiable && [204, 400, 404].includes(e.status) && !e.fault);
    expect(firstGood).toBeDefined();
    const comps = stack.orderService.log.filter(
      (e) => e.combineOutTradeNo === input.combineOutTradeNo && e.route === 'compensate',
    );
    // No compensation request reached the order service before an accepted reverse answer and a signed query after it.
    expect(comps.every((c) => c.at >= firstGood!.at)).toBe(true);
    expectConfirmedBeforeCompensation(stack, input);
    for (const sub of input.subOrders) {
      const key = compensationWebhookId({ combineOutTradeNo: input.combineOutTradeNo, outTradeNo: sub.outTradeNo });
      const forSub = comps.filter((c) => c.outTradeNo === sub.outTradeNo);
      expect(forSub.every((c) => c.webhookId === key && c.idempotencyKey === key && c.signatureOk === true)).toBe(true);
      expect(forSub.filter((c) => c.effective)).toHaveLength(1);
      const body = stack.orderService.compensated.get(key)?.data;
      expect(['PAYMENT_TIMEOUT', 'CANCELLED']).toContain(body?.reason);
      expect(['REVERSED', 'ALREADY_CLOSED', 'ORDER_NOT_FOUND']).toContain(body?.reverseOutcome);
    }
  }

  it('times out an unpaid order: signed reverse accepted (order CLOSED), every sub-order compensated once', async () => {
    const input = orderInput({ dueInMs: 300, subOrderCount: 3 });
    const handle = await start(input);
    const result = await handle.result();
    expect(result).toMatchObject({
      outcome: 'REVERSED',
      reverse: { outcome: 'REVERSED', httpStatus: 204, verified: true },
    });
    expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
    checkReversedOrder(input);
  });

  it('refunds an order whose debit went through but was never confirmed (hanging pay call)', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input, 'SUCCESS');
    expect((await handle.result()).outcome).toBe('REVERSED');
    expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('REFUND');
    checkReversedOrder(input);
  });

  it('ends PAID on markPaid and never calls reverse', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const handle = await start(input, 'SUCCESS');
    await markPaid(client, input.combineOutTradeNo, { source: 'query' });
    expect((await handle.result()).outcome).toBe('PAID');
    expect(stack.peer.log.some((e) => e.orderNo === input.combineOutTradeNo && e.route === 'reverse')).toBe(false);
    expect(stack.orderService.log.some((e) => e.combineOutTradeNo === input.combineOutTradeNo)).toBe(false);
  });

  it('compensates when WeChat Pay has no such order (ORDER_NOT_FOUND)', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input, 'NONE');
    const result = await handle.result();
    expect(result.reverse).toMatchObject({ outcome: 'ORDER_NOT_FOUND', code: 'ORDER_NOT_EXIST', verified: true });
    checkReversedOrder(input);
  });

  // Every recoverable fault the reverse can meet on its first request (REPLAY_LAST needs an earlier answer to replay).
  const recoverable = recoverableOn('reverse').filter((kind) => !FAULT_TABLE[kind].needs);
  it(`recovers from every fault kind (${recoverable.length}) and never accepts an unverified answer`, async () => {
    const inputs = recoverable.map(() => orderInput({ dueInMs: 300 }));
    for (const [i, kind] of recoverable.entries()) {
      stack.peer.faults.add({ route: 'reverse', kind, count: 2, orderNo: inputs[i]!.combineOutTradeNo });
    }
    const handles = await Promise.all(inputs.map((input) => start(input)));
    const results = await Promise.all(handles.map((h) => h.result()));
    for (const [i, kind] of recoverable.entries()) {
      const input = inputs[i]!;
      expect({ kind, outcome: results[i]!.outcome }).toEqual({ kind, outcome: 'REVERSED' });
      const requests = stack.peer.log.filter((e) => e.orderNo === input.combineOutTradeNo && e.route === 'reverse');
      expect({ kind, faults: requests.filter((e) => e.fault === kind).length }).toEqual({ kind, faults: 2 });
      checkReversedOrder(input);
    }
  }, 120_000);

  it.each(['NO_CONTENT', 'ORDER_CLOSED'] as const)(
    'ends REVERSED when the first reverse took effect but its answer was lost (repeat policy %s)',
    async (policy) => {
      stack.peer.settings.repeatReversePolicy = policy;
      const input = orderInput({ dueInMs: 300 });
      stack.peer.faults.add({ route: 'reverse', kind: 'DELAY', count: 1, orderNo: input.combineOutTradeNo });
      const handle = await start(input);
      const result = await handle.result();
      expect(result.outcome).toBe('REVERSED');
      expect(result.reverse?.outcome).toBe(policy === 'NO_CONTENT' ? 'REVERSED' : 'ALREADY_CLOSED');
      expect(stack.peer.orders.get(input.combineOutTradeNo)?.reverseRequests).toBeGreaterThanOrEqual(2);
      checkReversedOrder(input);
    },
  );

  it('PARAM_ERROR → NEEDS_ATTENTION without compensation; an operator retry finishes it', async () => {
    const input = orderInput({ dueInMs: 300 });
    stack.peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: input.combineOutTradeNo });
    const handle = await start(input);
    const status = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(status.reverse.lastFailure).toMatchObject({ type: 'REVERSE_REJECTED' });
    expect(stack.orderService.log.some((e) => e.combineOutTradeNo === input.combineOutTradeNo)).toBe(false);
    await handle.signal(retrySignal);
    expect((await handle.result()).outcome).toBe('REVERSED');
    checkReversedOrder(input);
  });

  it('deduplicates compensation when the order service fails, resets or answers too late', async () => {
    const input = orderInput({ dueInMs: 300, subOrderCount: 3 });
    const [a, b, c] = input.subOrders;
    stack.orderService.faults.add({ kind: '500', count: 2, orderNo: a!.outTradeNo });
    stack.orderService.faults.add({ kind: 'RESET', count: 1, orderNo: b!.outTradeNo });
    stack.orderService.faults.add({ kind: 'DELAY', count: 1, orderNo: c!.outTradeNo });
    const handle = await start(input);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.subOrders.find((s) => s.outTradeNo === c!.outTradeNo)?.alreadyCompensated).toBe(true);
    checkReversedOrder(input);
  });

  it('exports the product metrics (answers by class, compensation failures, phases) to Prometheus', async () => {
    const text = await (await fetch(metricsUrl())).text();
    const value = (name: string, ...labels: string[]): number => {
      const line = text.split('\n').find((l) => l.startsWith(name) && labels.every((label) => l.includes(label)));
      return line ? Number(line.split(' ').pop()) : 0;
    };
    const reverse = 'call="reverse"';
    expect(value('combine_papay_wechatpay_answers', reverse, 'class="ACCEPTED"')).toBeGreaterThan(0);
    expect(value('combine_papay_wechatpay_answers', reverse, 'class="UNVERIFIED"')).toBeGreaterThan(0);
    expect(value('combine_papay_wechatpay_answers', reverse, 'class="AUTH"')).toBeGreaterThan(0);
    // The deprecated reverse-only counter is gone.
    expect(text).not.toContain('combine_papay_reverse_answers');
    expect(value('combine_papay_compensation_failures', 'kind="transient"')).toBeGreaterThan(0);
    expect(value('combine_papay_phase_entered', 'phase="REVERSED"')).toBeGreaterThan(0);
    // The SDK's own metrics come from the same endpoint.
    expect(text).toMatch(/temporal_workflow_completed|workflow_completed/);
  });

  it('a compensation refused for good (422) waits for an operator, then only that sub-order is re-driven', async () => {
    const input = orderInput({ dueInMs: 300, subOrderCount: 2 });
    const bad = input.subOrders[0]!.outTradeNo;
    stack.orderService.faults.add({ kind: '422', count: 1, orderNo: bad });
    const handle = await start(input);
    const status = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(status.subOrders.map((s) => s.compensation)).toEqual(['FAILED', 'DONE']);
    await handle.signal(retrySignal);
    expect((await handle.result()).outcome).toBe('REVERSED');
    const good = input.subOrders[1]!.outTradeNo;
    expect(stack.orderService.log.filter((e) => e.outTradeNo === good)).toHaveLength(1);
    checkReversedOrder(input);
  });
});

describe('end to end in platform-certificate mode', () => {
  it('verifies answers signed with the platform certificate', async () => {
    const client = await connectClient();
    const stack = await startStack({ mode: 'PLATFORM_CERT' });
    try {
      const input = orderInput({ dueInMs: 300 });
      await seedOrder(stack.peer, input);
      const { handle } = await startOrder(client, input, { taskQueue: stack.taskQueue });
      expect((await handle.result()).reverse).toMatchObject({ outcome: 'REVERSED', verified: true });
      // The worker announces the platform certificate serial (hex), not a public key id.
      expect(stack.config.wechatpay.wechatpaySerial).toMatch(/^[0-9A-F]{40}$/);
      expect(stack.peer.log.find((e) => e.orderNo === input.combineOutTradeNo)?.wechatpaySerial).toBe(
        stack.config.wechatpay.wechatpaySerial,
      );
    } finally {
      await stack.stop();
      await client.connection.close();
    }
  });
});

describe('end to end: wrong keys, then fixed', () => {
  it('keeps retrying SIGN_ERROR slowly, and a worker with the right key resumes the same order', async () => {
    const client = await connectClient();
    const wrongKey = await startStack({
      env: { WECHATPAY_PRIVATE_KEY_PATH: require.resolve('../fixtures/wrong-merchant-key.pem') },
    });
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(wrongKey.peer, input);
    const { handle } = await startOrder(client, input, { taskQueue: wrongKey.taskQueue });
    const until = Date.now() + 20_000;
    while (wrongKey.peer.log.filter((e) => e.orderNo === input.combineOutTradeNo).length < 2 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const refused = wrongKey.peer.log.filter((e) => e.orderNo === input.combineOutTradeNo);
    expect(refused.length).toBeGreaterThanOrEqual(2);
    expect(refused.every((e) => e.status === 401 && e.authProblem === 'signature does not verify')).toBe(true);
    expect((await handle.describe()).status.name).toBe('RUNNING');
    // Fix the keys: the misconfigured worker stops, a correctly configured one takes over the same task queue.
    await wrongKey.stopWorker();
    const fixed = await startStack({
      env: { TEMPORAL_TASK_QUEUE: wrongKey.taskQueue },
      reuse: { peer: wrongKey.peer, orderService: wrongKey.orderService },
    });
    try {
      expect((await handle.result()).outcome).toBe('REVERSED');
      expect(wrongKey.peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
    } finally {
      await fixed.stop();
      await wrongKey.stop();
      await client.connection.close();
    }
  });
});
