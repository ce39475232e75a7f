/**
 * The money decision end to end on the real stack (dev server, product worker, WeChat Pay peer with real RSA both
 * ways, order service): each decision-table row, the pay window, and every answer that must NOT end an order —
 * a signed 202, unsigned "no such order" / "closed", a generic signed NOT_FOUND, a pay that lands late.
 */
import { type Route } from '../../tools/simulator/wechatpay/routes';
import { type FaultKind } from '../../tools/simulator/wechatpay/fault-table';
import type { Client } from '@temporalio/client';
import {
  beginPayment,
  BeginPaymentRefusedError,
  confirmationWebhookId,
  startOrder,
  type OrderInput,
} from '../../client';
import { scheduleLatePay } from '../../tools/simulator/admin-client';

import { connectClient } from '../harness/env';
import { expectConfirmedBeforeCompensation, expectEachCompensatedOnce } from '../harness/confirmed';
import { orderInput, waitForPhase, waitForStatus } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

describe('end to end: reconcile with WeChat Pay before and after the reverse', () => {
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

  const requests = (input: OrderInput, route: Route) =>
    stack.peer.log.filter((e) => e.orderNo === input.combineOutTradeNo && e.route === route);
  const compensations = (input: OrderInput) =>
    stack.orderService.log.filter((e) => e.combineOutTradeNo === input.combineOutTradeNo && e.route === 'compensate');
  const start = async (input: OrderInput, state?: Parameters<typeof seedOrder>[2]) => {
    if (state) await seedOrder(stack.peer, input, state);
    return (await startOrder(client, input, { taskQueue: stack.taskQueue })).handle;
  };
  const fault = (input: OrderInput, route: Route, kind: FaultKind, count = 2) =>
    stack.peer.faults.add({ route, kind, count, orderNo: input.combineOutTradeNo });

  it('already CLOSED at WeChat Pay: no reverse call, compensated as CLOSED', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input, 'CLOSED');
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'REVERSED', reverse: { outcome: 'NOT_NEEDED', state: 'NOT_NEEDED' } });
    expect(requests(input, 'reverse')).toHaveLength(0);
    expect(requests(input, 'query').length).toBeGreaterThanOrEqual(1);
    expectConfirmedBeforeCompensation(stack, input);
    expectEachCompensatedOnce(stack, input);
  });

  it('paid but never confirmed: refunded by default (REFUND), then compensated as REFUND', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input, 'SUCCESS');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('REFUND');
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expectConfirmedBeforeCompensation(stack, input);
    expectEachCompensatedOnce(stack, input);
  });

  it('paid but never confirmed, ADOPT: ends PAID from the signed query, one confirmation, no reverse, no compensation', async () => {
    const input = orderInput({ dueInMs: 300, onPaidAtDeadline: 'ADOPT' });
    stack.orderService.faults.add({ route: 'confirm', kind: '503', count: 1, orderNo: input.combineOutTradeNo });
    const handle = await start(input, 'SUCCESS');
    const result = await handle.result();
    expect(result.outcome).toBe('PAID');
    expect(result.paid?.source).toBe('WECHATPAY_QUERY');
    expect(Object.keys(result.paid?.transactionIds ?? {})).toEqual(input.subOrders.map((s) => s.outTradeNo));
    expect(requests(input, 'reverse')).toHaveLength(0);
    expect(compensations(input)).toHaveLength(0);
    const id = confirmationWebhookId(input);
    const confirmation = stack.orderService.confirmations.get(id);
    expect(confirmation).toMatchObject({ type: 'order.paid' });
    expect(confirmation?.data).toMatchObject({ combineOutTradeNo: input.combineOutTradeNo, source: 'WECHATPAY_QUERY' });
    const sent = stack.orderService.log.filter(
      (e) => e.route === 'confirm' && e.combineOutTradeNo === input.combineOutTradeNo,
    );
    expect(sent.filter((e) => e.effective)).toHaveLength(1);
    expect(sent.every((e) => e.signatureOk === true && e.webhookId === id && e.idempotencyKey === id)).toBe(true);
  });

  it('no such order: reversed (signed ORDER_NOT_EXIST), confirmed absent, compensated as NOT_FOUND', async () => {
    const input = orderInput({ dueInMs: 300 });
    const handle = await start(input);
    const result = await handle.result();
    expect(result.reverse).toMatchObject({ outcome: 'ORDER_NOT_FOUND', code: 'ORDER_NOT_EXIST', state: 'CONFIRMED' });
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['NOT_FOUND', 'NOT_FOUND']);
    expectConfirmedBeforeCompensation(stack, input);
  });

  it('a pay that lands after the reverse said "no such order" is reversed again (refund) before compensation', async () => {
    const input = orderInput({ dueInMs: 300 });
    await scheduleLatePay(stack.peer.url, input, 'REVERSE_NOT_FOUND');
    const handle = await start(input);
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('REFUND');
    expect(requests(input, 'reverse').length).toBeGreaterThanOrEqual(2);
    expect(result.subOrders.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
    expectConfirmedBeforeCompensation(stack, input);
    expectEachCompensatedOnce(stack, input);
  });

  it.each<[FaultKind, Route]>([
    ['ACCEPTED_202', 'reverse'],
    ['UNSIGNED_NOT_EXIST', 'reverse'],
    ['UNSIGNED_CLOSED', 'reverse'],
    ['NO_HEADERS', 'reverse'],
    ['UNSIGNED_NOT_EXIST', 'query'],
    ['UNSIGNED_CLOSED', 'query'],
    ['NO_HEADERS', 'query'],
    ['ACCEPTED_202', 'query'],
  ])('%s on the %s is never taken as the answer: the order ends only on signed proof', async (kind, route) => {
    const input = orderInput({ dueInMs: 300 });
    fault(input, route, kind);
    const handle = await start(input, 'PAYING');
    const result = await handle.result();
    expect(result.outcome).toBe('REVERSED');
    expect(requests(input, route).filter((e) => e.fault === kind)).toHaveLength(2);
    expect(stack.peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
    // The accepted reverse answer is the very answer the peer signed (its nonce), not a faulted one.
    const accepted = requests(input, 'reverse').find((e) => e.answerNonce === result.reverse?.answerNonce);
    expect(accepted).toMatchObject({ answerVerifiable: true });
    expect(accepted?.fault).toBeUndefined();
    expectConfirmedBeforeCompensation(stack, input);
    expectEachCompensatedOnce(stack, input);
  });

  it.each<Route>(['reverse', 'query'])(
    'a generic signed NOT_FOUND on the %s (wrong URL) is not "no such order": NEEDS_ATTENTION, no compensation',
    async (route) => {
      const input = orderInput({ dueInMs: 300 });
      fault(input, route, 'GENERIC_NOT_FOUND', 1);
      const handle = await start(input, 'PAYING');
      const stuck = await waitForPhase(handle, 'NEEDS_ATTENTION');
      expect(stuck.attention?.step).toBe(route === 'reverse' ? 'REVERSE' : 'QUERY');
      expect(stuck.reverse.lastFailure?.type).toBe(route === 'reverse' ? 'REVERSE_REJECTED' : 'QUERY_REJECTED');
      expect(compensations(input)).toHaveLength(0);
      await handle.signal('retry');
      expect((await handle.result()).outcome).toBe('REVERSED');
      expectConfirmedBeforeCompensation(stack, input);
    },
  );

  it('beginPayment: nothing reaches WeChat Pay before the last pay call window closes; a late pay call is refused', async () => {
    // Due far from the start and the first announcement, which must be accepted (a later one is refused).
    const input = orderInput({ dueInMs: 5_000, payWindow: '4s' });
    const handle = await start(input, 'PAYING');
    const begun = await beginPayment(client, input.combineOutTradeNo, { attemptId: 'pay-1' });
    const waiting = await waitForStatus(handle, (s) => s.reverse.state === 'WAITING_FOR_PAY_WINDOW');
    // The window starts when the order stopped waiting (or at the announcement, were it later): never earlier.
    expect(Date.parse(waiting.reverse.notBefore!)).toBeGreaterThanOrEqual(Date.parse(begun.reverseNotBefore));
    expect(Date.parse(waiting.reverse.notBefore!) - Date.parse(waiting.reverse.windowStart!.at)).toBe(4_000);
    await expect(beginPayment(client, input.combineOutTradeNo)).rejects.toBeInstanceOf(BeginPaymentRefusedError);
    expect((await handle.result()).outcome).toBe('REVERSED');
    const first = stack.peer.log.find((e) => e.orderNo === input.combineOutTradeNo && e.route !== 'pay');
    expect(Date.parse(first!.at)).toBeGreaterThanOrEqual(Date.parse(waiting.reverse.notBefore!));
  });
});
