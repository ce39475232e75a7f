/**
 * The benchmark's engine ceilings: the product's shapes with no bookkeeping in them. Deterministic workflow code
 * (linted like workflows/); not registered by the product's worker.
 *
 * - `ceilingWorkflow`: the reversed lifecycle — one durable timer, then the same activities in the same order and on
 *   the same kind of task queue as the product (query, reverse, confirming query on a separate, rate-limited queue
 *   that never dispatches eagerly; then two compensations in parallel on the workflow's own queue), each a no-op.
 * - `realCeilingWorkflow`: the same shape calling the product's real activities (the signed, verified query and
 *   reverse on the product's rate-limited WeChat Pay queue, the signed compensation webhooks on the workflow's queue)
 *   with none of the lifecycle's bookkeeping: no validation, status, search attributes, memo, pay window, decision
 *   table or checks of the answers. What the product costs beyond it is what the lifecycle's bookkeeping costs.
 * - `ceilingPaidWorkflow`: the paid path — a timer to the deadline, ended by one no-op update.
 */
import { condition, defineUpdate, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { OrderActivities } from '../../../activities';
import { wechatpayTaskQueue, type ConfirmedTradeState, type SubOrderInput } from '../../../workflows/contract';

/** No-op activities standing in for the query, the reverse and the compensations. */
export interface CeilingActivities {
  noop(step: string): Promise<string>;
}

/** Suffix of the queue serving the ceiling's stand-ins for the WeChat Pay calls (see tools/bench/ceilings/worker.ts). */
export const CALLS_QUEUE_SUFFIX = '-calls';

const local = proxyActivities<CeilingActivities>({ startToCloseTimeout: '30 seconds' });

/** Waits until `deadlineMs` (epoch), then runs the lifecycle's activities as no-ops. */
export async function ceilingWorkflow(deadlineMs: number): Promise<string> {
  const calls = proxyActivities<CeilingActivities>({
    startToCloseTimeout: '30 seconds',
    taskQueue: `${workflowInfo().taskQueue}${CALLS_QUEUE_SUFFIX}`,
  });
  const wait = deadlineMs - Date.now();
  if (wait > 0) await sleep(wait);
  await calls.noop('query');
  await calls.noop('reverse');
  await calls.noop('confirming-query');
  await Promise.all([local.noop('compensate-1'), local.noop('compensate-2')]);
  return 'done';
}

/** What the real-activities ceiling needs of an order: its deadline and what the calls send. */
export interface RealCeilingOrder {
  deadlineMs: number;
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
}

/** Waits until the deadline, then query → reverse → confirming query → both compensations, with the real activities. */
export async function realCeilingWorkflow(order: RealCeilingOrder): Promise<string> {
  const { combineOutTradeNo, combineAppid, subOrders } = order;
  const calls = proxyActivities<OrderActivities>({
    startToCloseTimeout: '30 seconds',
    taskQueue: wechatpayTaskQueue(workflowInfo().taskQueue),
  });
  const own = proxyActivities<OrderActivities>({ startToCloseTimeout: '30 seconds' });
  const wait = order.deadlineMs - Date.now();
  if (wait > 0) await sleep(wait);
  const ids = subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid }));
  const nonces: string[] = [];
  const keep = (nonce: string | undefined) => nonce && nonces.push(nonce);
  keep(
    (await calls.queryCombineOrder({ combineOutTradeNo, subOrders: ids, purpose: 'RECONCILE', refuseNonces: [] }))
      .answerNonce,
  );
  const reverse = await calls.reverseCombineOrder({
    combineOutTradeNo,
    combineAppid,
    subOrders,
    refuseNonces: [...nonces],
  });
  keep(reverse.answerNonce);
  const confirm = await calls.queryCombineOrder({
    combineOutTradeNo,
    subOrders: ids,
    purpose: 'CONFIRM',
    refuseNonces: [...nonces],
  });
  const states = confirm.found ? confirm.subOrders.map((s) => s.tradeState) : [];
  await Promise.all(
    subOrders.map(({ mchid, outTradeNo, subMchid }, i) =>
      own.compensateSubOrder({
        combineOutTradeNo,
        outTradeNo,
        mchid,
        subMchid,
        reason: 'PAYMENT_TIMEOUT',
        reverseOutcome: reverse.outcome,
        tradeState: (states[i] ?? 'NOT_FOUND') as ConfirmedTradeState,
      }),
    ),
  );
  return 'done';
}

/** The no-op update standing in for `markPaid`. */
export const ceilingPaidUpdate = defineUpdate<string>('ceilingPaid');

/** Waits for the update or the deadline, whichever comes first. */
export async function ceilingPaidWorkflow(deadlineMs: number): Promise<string> {
  let paid = false;
  setHandler(ceilingPaidUpdate, () => {
    paid = true;
    return 'paid';
  });
  await condition(() => paid, Math.max(1, deadlineMs - Date.now()));
  return paid ? 'paid' : 'deadline';
}
