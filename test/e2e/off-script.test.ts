/**
 * Lifecycle 1.1 on the real stack (dev server, the product worker built from the environment, the WeChat Pay peer
 * with real RSA both ways, the order service): the callers that step off the script and used to move money wrongly —
 * a second start of a finished order, one early `beginPayment` before an unannounced pay call, a restart after a
 * reverse, a captured signed answer served to a worker that never saw it, an order service whose webhook secret is
 * being rotated, and a start that reaches a running order with other terms.
 */
import type { Client } from '@temporalio/client';
import {
  beginPayment,
  markPaid,
  OrderInputConflictError,
  startOrder,
  startOrderAndBeginPayment,
  WORKFLOW_TYPE,
  workflowIdFor,
  type OrderInput,
  type OrderResult,
} from '../../client';
import { changePeerSettings, landPay, scheduleLatePay } from '../../tools/simulator/admin-client';
import type { Route } from '../../tools/simulator/wechatpay/routes';
import { waitFor } from '../../tools/devstack/dev-server';
import { ErrorType, resolveSignal } from '../../workflows/contract';
import { connectClient } from '../harness/env';
import { expectConfirmedBeforeCompensation } from '../harness/confirmed';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { seedOrder, startStack, TEST_HMAC_SECRET, type Stack } from '../harness/stack';

describe('end to end: callers off the script (lifecycle 1.1)', () => {
  let client: Client;
  let stack: Stack;

  beforeAll(async () => {
    client = await connectClient();
    // A 401/403 from the order service is retried this long after (production: 5 minutes).
    stack = await startStack({ env: { COMPENSATION_AUTH_RETRY_DELAY: '2s' } });
  });
  afterAll(async () => {
    await stack.stop();
    await client.connection.close();
  });

  const no = (input: OrderInput) => input.combineOutTradeNo;
  const requests = (input: OrderInput, route: Route) =>
    stack.peer.log.filter((e) => e.orderNo === no(input) && e.route === route);
  const downstream = (input: OrderInput, route: 'compensate' | 'confirm') =>
    stack.orderService.log.filter((e) => e.combineOutTradeNo === no(input) && e.route === route);
  const start = async (input: OrderInput) => (await startOrder(client, input, { taskQueue: stack.taskQueue })).handle;

  it('1. a second start of an order that ended PAID moves no money: EARLIER_RUN_ENDED until an operator resolves', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    await seedOrder(stack.peer, input, 'SUCCESS');
    const first = await start(input);
    await markPaid(client, no(input), { transactionId: '4200000001' });
    expect((await first.result()).outcome).toBe('PAID');
    const firstRunId = (await first.describe()).runId;
    // The raw start of docs/integration.md before 1.1 (no id-reuse policy): a new run of the same workflow id, due now.
    const second = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(no(input)),
      args: [{ ...input, paymentTimeout: (input.paymentTimeout as number) - 59_500 }],
    });
    const stuck = await waitForPhase(second, 'NEEDS_ATTENTION', 30_000);
    expect(stuck.attention?.step).toBe('EARLIER_RUN');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.EARLIER_RUN_ENDED);
    expect(stuck.earlierRuns?.map((r) => [r.runId, r.status])).toEqual([[firstRunId, 'COMPLETED']]);
    await second.signal(resolveSignal, 'duplicate start of a shipped order; nothing to do');
    expect((await second.result()).outcome).toBe('RESOLVED_MANUALLY');
    // Found in visibility by the worker: never queried, reversed or compensated, and still paid at WeChat Pay.
    expect([...requests(input, 'query'), ...requests(input, 'reverse')]).toEqual([]);
    expect(downstream(input, 'compensate')).toEqual([]);
    expect(stack.peer.orders.get(no(input))?.state).toBe('SUCCESS');
    // The client's own start of the finished order returns it and starts nothing.
    expect((await startOrder(client, input, { taskQueue: stack.taskQueue })).alreadyStarted).toBe(true);
  }, 90_000);

  it('2. one early beginPayment, then an unannounced pay call: the window waits from the deadline; refunded', async () => {
    // The announcement's window (3 s) must close before the deadline: due far from the seed, start and announcement.
    const input = orderInput({ dueInMs: 10_000, payWindow: '3s' });
    await seedOrder(stack.peer, input);
    const handle = await start(input);
    // Announced at page open; its window (3 s) closes before the deadline: 1.0 queried at the deadline at once.
    const announced = await beginPayment(client, no(input), { attemptId: 'page-open' });
    const deadline = Date.parse(input.orderCreatedAt!) + (input.paymentTimeout as number);
    expect(Date.parse(announced.reverseNotBefore)).toBeLessThan(deadline);
    const waiting = await waitForStatus(handle, (s) => s.reverse.state === 'WAITING_FOR_PAY_WINDOW', 30_000);
    expect(waiting.reverse.windowStart?.by).toBe('deadline');
    // The payment SDK's own retry, never announced, lands after the deadline: inside the window.
    const landed = await landPay(stack.peer.url, input);
    expect(landed.state).toBe('SUCCESS');
    const landedAt = Date.now();
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expect(Date.parse(requests(input, 'query')[0]!.at)).toBeGreaterThanOrEqual(Math.max(landedAt, deadline + 3_000));
    expect(downstream(input, 'compensate').every((c) => Date.parse(c.at) > landedAt)).toBe(true);
    expectConfirmedBeforeCompensation(stack, input);
  }, 60_000);

  it('3. a restart after a reverse was sent carries it: a refund in flight is confirmed, never adopted as paid', async () => {
    await changePeerSettings(stack.peer.url, { refundLagMs: 15_000 });
    try {
      const input = orderInput({ dueInMs: 300, onPaidAtDeadline: 'ADOPT' });
      // The debit lands right after the first query's "no such order": the reverse then refunds a paid order, and
      // every answer to it is lost (held past the client's timeout), so the first run keeps retrying it.
      await scheduleLatePay(stack.peer.url, input, 'QUERY_NOT_FOUND');
      stack.peer.faults.add({ route: 'reverse', kind: 'DELAY', count: 1_000, orderNo: no(input) });
      const first = await start(input);
      await waitFor('the first reverse to reach WeChat Pay', async () => requests(input, 'reverse').length > 0, {
        timeoutMs: 30_000,
        intervalMs: 100,
      });
      await first.terminate('worker fleet rebuilt by hand');
      stack.peer.faults.clear();
      const again = await startOrder(client, input, { taskQueue: stack.taskQueue, restartIfEnded: true });
      const result = await again.handle.result();
      expect(result.outcome).toBe('REVERSED');
      expect(result.paid).toBeUndefined();
      expect(result.reverse?.queries?.[0]?.purpose).toBe('CONFIRM');
      expect(downstream(input, 'confirm')).toEqual([]);
      expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
      expectConfirmedBeforeCompensation(stack, input);
    } finally {
      stack.peer.faults.clear();
      await changePeerSettings(stack.peer.url, { refundLagMs: 0 });
    }
  }, 120_000);

  it('4. a signed "no such order" captured earlier is refused by a worker that never saw it: refunded, not absent', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'SUCCESS');
    stack.peer.faults.add({ route: 'query', kind: 'STALE_ANSWER', count: 1, orderNo: no(input) });
    const result = await (await start(input)).result();
    const stale = requests(input, 'query').filter((e) => e.fault === 'STALE_ANSWER');
    expect(stale).toHaveLength(1);
    const accepted = (result.reverse?.queries ?? []).map((q) => q.answerNonce);
    expect(accepted).not.toContain(stale[0]!.answerNonce);
    expect(result.outcome).toBe('REVERSED');
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expectConfirmedBeforeCompensation(stack, input);
  }, 60_000);

  it('5. a webhook secret being rotated: 401s are retried slowly without an operator, then compensated once', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'PAYING');
    // The order service holds only its next secret: every request of the worker's is refused with 401.
    const rotated = `whsec_${Buffer.from(`rotated-secret-${Date.now()}-0123456789`).toString('base64')}`;
    stack.orderService.setSecrets([rotated]);
    try {
      const handle = await start(input);
      await waitFor(
        'two refusals of each compensation',
        async () => {
          const refused = downstream(input, 'compensate').filter((e) => e.status === 401);
          return input.subOrders.every((s) => refused.filter((e) => e.outTradeNo === s.outTradeNo).length >= 2);
        },
        { timeoutMs: 40_000, intervalMs: 200 },
      );
      const during = await waitForStatus(handle, (s) => s.phase === 'COMPENSATING', 5_000);
      expect(during.attention).toBeUndefined();
      stack.orderService.addSecret(TEST_HMAC_SECRET);
      const result = await handle.result();
      expect(result.outcome).toBe('REVERSED');
      expect(result.subOrders.map((s) => s.compensation)).toEqual(['DONE', 'DONE']);
      expect(downstream(input, 'compensate').filter((e) => e.effective)).toHaveLength(2);
    } finally {
      stack.orderService.setSecrets([TEST_HMAC_SECRET]);
    }
  }, 90_000);

  it('6. a start or Update-With-Start that reaches a running order with other terms fails, naming the fields', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    await seedOrder(stack.peer, input);
    const handle = await start(input);
    const other: OrderInput = {
      ...input,
      subOrders: input.subOrders.slice(0, 1),
      onPaidAtDeadline: 'ADOPT',
    };
    const err = await startOrder(client, other, { taskQueue: stack.taskQueue }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OrderInputConflictError);
    expect((err as OrderInputConflictError).fields).toEqual(['subOrders', 'onPaidAtDeadline']);
    await expect(
      startOrderAndBeginPayment(client, { ...input, paymentTimeout: '45m' }, undefined, { taskQueue: stack.taskQueue }),
    ).rejects.toThrow(/already running with other terms: paymentTimeout differ/);
    // The same terms attach: the order is the running one, and it keeps its own input.
    const same = await startOrderAndBeginPayment(client, input, undefined, { taskQueue: stack.taskQueue });
    expect(same.payment.order?.subOrders).toHaveLength(2);
    expect((await startOrder(client, input, { taskQueue: stack.taskQueue })).alreadyStarted).toBe(true);
    await markPaid(client, no(input));
    expect((await handle.result()).outcome).toBe('PAID');
  }, 60_000);
});
