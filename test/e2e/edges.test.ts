/**
 * Lifecycle 1.0 on the real stack (dev server, the product worker built from the environment, the WeChat Pay peer
 * with real RSA both ways, the order service): each edge where an order used to be settled on an assumption (issue
 * 20, cases 1–8; case 9, the required HMAC secret, is a worker start refused, in `worker-start.test.ts`).
 */
import { type Route } from '../../tools/simulator/wechatpay/routes';
import { type FaultKind } from '../../tools/simulator/wechatpay/fault-table';
import type { Client } from '@temporalio/client';
import {
  beginPayment,
  OrderInputError,
  RestartInputMismatchError,
  startOrder,
  WORKFLOW_TYPE,
  workflowIdFor,
  type OrderInput,
  type OrderResult,
} from '../../client';
import { changePeerSettings, landPay, scheduleLatePay } from '../../tools/simulator/admin-client';

import { createWechatpayClient } from '../../wechatpay/client';
import { ErrorType, resolveSignal, retrySignal, statusQuery } from '../../workflows/contract';
import { waitFor } from '../../tools/devstack/dev-server';
import { connectClient } from '../harness/env';
import { expectConfirmedBeforeCompensation, expectEachCompensatedOnce } from '../harness/confirmed';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

describe('end to end: no money decision on an assumption (lifecycle 1.0)', () => {
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

  const no = (input: OrderInput) => input.combineOutTradeNo;
  const requests = (input: OrderInput, route: Route) =>
    stack.peer.log.filter((e) => e.orderNo === no(input) && e.route === route);
  const compensations = (input: OrderInput) =>
    stack.orderService.log.filter((e) => e.combineOutTradeNo === no(input) && e.route === 'compensate');
  const start = async (input: OrderInput) => (await startOrder(client, input, { taskQueue: stack.taskQueue })).handle;
  const fault = (input: OrderInput, route: Route, kind: FaultKind, count: number) =>
    stack.peer.faults.add({ route, kind, count, orderNo: no(input) });
  /** Makes this worker process see a genuine signed "no such order" (as it would for any unknown order). */
  const seeANotFound = async () => {
    const answer = await createWechatpayClient(stack.config.wechatpay).query(`NOPE${Date.now().toString(36)}`);
    expect(answer).toMatchObject({ kind: 'answer', status: 404, code: 'ORDER_NOT_EXIST', verified: true });
  };

  it('1. a pay call nobody announced lands after the deadline: the window waits for it; refunded, then compensated', async () => {
    const input = orderInput({ dueInMs: 300, payWindow: '4s' });
    const handle = await start(input);
    const waiting = await waitForStatus(handle, (s) => s.reverse.state === 'WAITING_FOR_PAY_WINDOW');
    expect(waiting.reverse.windowStart?.by).toBe('deadline');
    // The debit of a pay call sent just before the deadline lands now, inside the window.
    const landed = await landPay(stack.peer.url, input);
    const landedAt = Date.now();
    expect(landed.state).toBe('SUCCESS');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expect(stack.peer.orders.get(no(input))?.state).toBe('REFUND');
    expect(compensations(input).every((c) => Date.parse(c.at) > landedAt)).toBe(true);
    expectConfirmedBeforeCompensation(stack, input);
    expectEachCompensatedOnce(stack, input);
  });

  it('2. a retry after an accepted reverse never adopts: refund not yet visible, repeats refused, then confirmed', async () => {
    await changePeerSettings(stack.peer.url, { refundLagMs: 20_000, repeatReversePolicy: 'INVALID_REQUEST' });
    try {
      const input = orderInput({ dueInMs: 300, onPaidAtDeadline: 'ADOPT' });
      // The debit lands right after the first query's "no such order": the reverse then refunds a paid order.
      await scheduleLatePay(stack.peer.url, input, 'QUERY_NOT_FOUND');
      const handle = await start(input);
      const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION', 60_000);
      expect(stuck.attention?.step).toBe('CONFIRM');
      expect(stuck.reverse.lastFailure?.message).toMatch(/query still shows all 2 SUCCESS/);
      expect(requests(input, 'reverse').filter((e) => e.code === 'INVALID_REQUEST').length).toBeGreaterThanOrEqual(1);
      await handle.signal(retrySignal);
      const result = await handle.result();
      expect(result.outcome).toBe('REVERSED');
      expect(result.paid).toBeUndefined();
      expect(stack.orderService.log.filter((e) => e.combineOutTradeNo === no(input) && e.route === 'confirm')).toEqual(
        [],
      );
      expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
      expectConfirmedBeforeCompensation(stack, input);
    } finally {
      await changePeerSettings(stack.peer.url, { refundLagMs: 0, repeatReversePolicy: 'NO_CONTENT' });
    }
  }, 120_000);

  it('3. a replayed signed "no such order" proves nothing: a paid order is refunded, never compensated as absent', async () => {
    await seeANotFound();
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'SUCCESS');
    fault(input, 'query', 'REPLAY_NOT_EXIST', 2);
    fault(input, 'reverse', 'REPLAY_NOT_EXIST', 1);
    const result = await (await start(input)).result();
    const replays = stack.peer.log.filter((e) => e.orderNo === no(input) && e.fault === 'REPLAY_NOT_EXIST');
    expect(replays).toHaveLength(3);
    const replayed = new Set(replays.map((e) => e.answerNonce));
    const accepted = [...(result.reverse?.queries ?? []).map((q) => q.answerNonce), result.reverse?.answerNonce];
    expect(accepted.filter((n) => replayed.has(n))).toEqual([]);
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expect(stack.peer.orders.get(no(input))?.state).toBe('REFUND');
    expectConfirmedBeforeCompensation(stack, input);
  });

  it('3b. WECHATPAY_BASE_URL over plain http to a remote host is refused at start (TLS binds the answers)', async () => {
    await expect(
      startStack({ reuse: stack, env: { WECHATPAY_BASE_URL: 'http://api.mch.weixin.qq.com/' } }),
    ).rejects.toThrow(/WECHATPAY_BASE_URL must be an https:\/\/ URL \(plain http:\/\/ only to a loopback host\)/);
  });

  it('4. "no such order" for an order WeChat Pay showed is never a confirmation: queried again until it is', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'PAYING');
    // The reverse meets two busy answers (a second each), time enough to plant a fresh, genuinely signed "no such
    // order" nobody has seen (made for another order number) on the confirming query.
    fault(input, 'reverse', 'SYSTEM_ERROR', 2);
    const handle = await start(input);
    await waitForStatus(handle, (s) => s.reverse.state === 'IN_PROGRESS');
    const kept = stack.peer.sent.freshNotExist();
    if (kept) kept.at = 0;
    fault(input, 'query', 'REPLAY_NOT_EXIST', 1);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    const confirming = (result.reverse?.queries ?? []).filter((q) => q.purpose === 'CONFIRM').map((q) => q.seen);
    expect(confirming).toEqual(['NOT_FOUND (ORDER_NOT_EXIST)', 'all 2 CLOSED']);
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['CLOSED', 'CLOSED']);
    expectConfirmedBeforeCompensation(stack, input);
  }, 60_000);

  it('5. a pay window under the floor is refused at the client, naming the field and the floor', async () => {
    const input = orderInput({ dueInMs: 300, payWindow: '2s' });
    await expect(startOrder(client, input, { taskQueue: stack.taskQueue, minPayWindow: '60s' })).rejects.toThrow(
      OrderInputError,
    );
    await expect(startOrder(client, input, { taskQueue: stack.taskQueue, minPayWindow: '60s' })).rejects.toThrow(
      /payWindow must be at least the pay window floor 1m/,
    );
  });

  it('5b. a raw start with payWindow "0s" waits the worker floor, recorded in its history', async () => {
    const input = orderInput({ dueInMs: 300, payWindow: '0s' });
    await seedOrder(stack.peer, input, 'CLOSED');
    const handle = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue: stack.taskQueue,
      workflowId: workflowIdFor(no(input)),
      args: [input],
    });
    const result = await handle.result();
    expect(result.reverse?.payWindowFloor).toBe('1s');
    expect(Date.parse(result.reverse!.notBefore!) - Date.parse(result.reverse!.windowStart!.at)).toBe(1_000);
    expect(Date.parse(requests(input, 'query')[0]!.at)).toBeGreaterThanOrEqual(Date.parse(result.reverse!.notBefore!));
  });

  it('6. REFUND before any reverse of ours: NEEDS_ATTENTION naming the sub-order, nothing reversed or compensated', async () => {
    const input = orderInput({ dueInMs: 300 });
    const refunded = input.subOrders[0]!.outTradeNo;
    await seedOrder(stack.peer, input, 'SUCCESS', { [refunded]: 'REFUND' });
    const handle = await start(input);
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
    expect(stuck.attention?.step).toBe('QUERY');
    expect(stuck.reverse.lastFailure).toMatchObject({ type: ErrorType.REFUNDED_BEFORE_REVERSE });
    expect(stuck.attention?.reason).toContain(`sub-order(s) ${refunded} show REFUND`);
    await handle.signal(resolveSignal, 'refund checked in the merchant portal: partial; rest refunded by hand');
    expect((await handle.result()).outcome).toBe('RESOLVED_MANUALLY');
    expect(requests(input, 'reverse')).toHaveLength(0);
    expect(compensations(input)).toHaveLength(0);
  });

  it.each<FaultKind>(['FOREIGN_MCHID', 'EXTRA_SUB_ORDER', 'SUB_MCHID_MISMATCH', 'MISSING_SUB_ORDER'])(
    '7. a query answer that is not exactly this order (%s) is never taken as the answer',
    async (kind) => {
      const input = orderInput({ dueInMs: 300 });
      await seedOrder(stack.peer, input, 'CLOSED');
      fault(input, 'query', kind, 2);
      const result = await (await start(input)).result();
      expect(result.reverse).toMatchObject({ decision: 'NOTHING_TO_REVERSE' });
      const faulted = new Set(
        requests(input, 'query')
          .filter((e) => e.fault === kind)
          .map((e) => e.answerNonce),
      );
      expect(faulted.size).toBe(2);
      expect((result.reverse?.queries ?? []).some((q) => faulted.has(q.answerNonce))).toBe(false);
      expectConfirmedBeforeCompensation(stack, input);
    },
  );

  it('7b. answers for another merchant that keep coming hand the order to a human (QUERY_ANSWER_MISMATCH)', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'CLOSED');
    fault(input, 'query', 'FOREIGN_MCHID', 5);
    const handle = await start(input);
    const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION', 30_000);
    expect(stuck.attention?.step).toBe('QUERY');
    expect(stuck.reverse.lastFailure?.type).toBe(ErrorType.QUERY_ANSWER_MISMATCH);
    expect(stuck.reverse.lastFailure?.message).toMatch(/combine_mchid 1900000000, expected/);
    expect(compensations(input)).toHaveLength(0);
    await handle.signal(retrySignal);
    expect((await handle.result()).outcome).toBe('REVERSED');
  }, 60_000);

  it('8. a restart carries the same order: other input is refused naming the field; the same waits a full window', async () => {
    // Due far from the start and the announcement, which must come before it (a later one is refused).
    const input = orderInput({ dueInMs: 5_000 });
    const first = await start(input);
    await beginPayment(client, no(input), { attemptId: 'pay-1' });
    await first.terminate('test: the run ended without an outcome');
    const flipped = { ...input, onPaidAtDeadline: 'ADOPT' as const };
    await expect(startOrder(client, flipped, { taskQueue: stack.taskQueue, restartIfEnded: true })).rejects.toThrow(
      RestartInputMismatchError,
    );
    await expect(startOrder(client, flipped, { taskQueue: stack.taskQueue, restartIfEnded: true })).rejects.toThrow(
      /differs from the ended run's in onPaidAtDeadline/,
    );
    await seedOrder(stack.peer, input, 'CLOSED');
    const deadline = Date.parse(input.orderCreatedAt!) + (input.paymentTimeout as number);
    await waitFor('the deadline to pass', async () => Date.now() > deadline + 100);
    // The same order without its creation time: the ended run's is kept, so the deadline does not move.
    const { orderCreatedAt: _created, ...same } = input;
    const restartedAt = Date.now();
    const restarted = await startOrder(client, same, { taskQueue: stack.taskQueue, restartIfEnded: true });
    const result = await restarted.handle.result();
    expect(result.outcome).toBe('REVERSED');
    const status = await restarted.handle.query(statusQuery);
    expect(status.deadline).toBe(new Date(deadline).toISOString());
    // The ended run's announced pay call is unknown to the new run: its window starts when it stopped waiting.
    expect(status.payments).toBeUndefined();
    expect(result.reverse?.windowStart?.by).toBe('deadline');
    expect(Date.parse(result.reverse!.windowStart!.at)).toBeGreaterThanOrEqual(restartedAt - 1_000);
    expect(Date.parse(requests(input, 'query')[0]!.at)).toBeGreaterThanOrEqual(Date.parse(result.reverse!.notBefore!));
  });

  it('8b. forceInput restarts with other input, once its caller knows the ended run was wrong', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const first = await start(input);
    await first.terminate('test: started with the wrong sub-orders');
    const fixed = { ...input, subOrders: input.subOrders.slice(0, 1) };
    await expect(startOrder(client, fixed, { taskQueue: stack.taskQueue, restartIfEnded: true })).rejects.toThrow(
      /differs from the ended run's in subOrders/,
    );
    const forced = await startOrder(client, fixed, {
      taskQueue: stack.taskQueue,
      restartIfEnded: true,
      forceInput: true,
    });
    expect(forced.alreadyStarted).toBe(false);
    await forced.handle.terminate('test: done');
  });

  it('9. rate limits as WeChat Pay spells them (429 RATELIMIT_EXCEEDED, 403 FREQUENCY_LIMITED) are retried', async () => {
    const input = orderInput({ dueInMs: 300 });
    await seedOrder(stack.peer, input, 'PAYING');
    fault(input, 'query', 'RATE_LIMIT', 1);
    fault(input, 'reverse', 'FREQUENCY_LIMITED', 2);
    const result = await (await start(input)).result();
    expect(result.outcome).toBe('REVERSED');
    expect(requests(input, 'reverse').filter((e) => e.status === 403 && e.code === 'FREQUENCY_LIMITED')).toHaveLength(
      2,
    );
    expect(requests(input, 'query').filter((e) => e.status === 429 && e.code === 'RATELIMIT_EXCEEDED')).toHaveLength(1);
    expectEachCompensatedOnce(stack, input);
  });
});
