/**
 * The checkout that the chaos run and the cluster test simulate: it announces each pay call (`beginPayment`), lets the
 * debit land (or not) at the in-process WeChat Pay peer, and confirms PAID orders with `markPaid`, recording on the
 * order what the client saw (for the invariant checker).
 */
import type { Client } from '@temporalio/client';
import {
  BeginPaymentRefusedError,
  MarkPaidRefusedError,
  beginPayment,
  markPaid,
  resolveOrder,
  retryOrder,
  startOrder,
  statusQuery,
  workflowIdFor,
  type OrderInput,
  type OrderResult,
  OrderNotAnsweringError,
  WORKFLOW_TYPE,
} from '../../client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { parseDuration } from '../../workflows/duration';
import { scheduleLatePay } from '../simulator/admin-client';
import type { ChaosPlan, CheckedOrder } from './chaos/invariants';
import { newOrder, type TradeState } from '../simulator/wechatpay/orders';
import type { WechatpayPeer } from '../simulator/wechatpay/peer';
import { SIMULATOR_PAY_WINDOW_FLOOR } from '../simulator/keys';
import { PaymentPhaseKey } from '../../workflows/contract';

/**
 * What the (simulated) pay call leaves at WeChat Pay, for plans that make one; `LATE`: it lands after a reverse;
 * `UNANNOUNCED`: the checkout never calls `beginPayment`, and the debit lands just after the deadline; `EARLY`: the
 * checkout announces once at page open, and the debit of a later, unannounced pay call lands just after the deadline.
 */
const PAY_RESULT: Partial<Record<ChaosPlan, TradeState | 'LATE' | 'UNANNOUNCED' | 'EARLY'>> = {
  PAID: 'SUCCESS',
  UNPAID: 'PAYING',
  DEBITED: 'SUCCESS',
  DEBITED_ADOPT: 'SUCCESS',
  PAY_LANDS_LATE: 'LATE',
  NEEDS_ATTENTION: 'PAYING',
  LATE_PAY_UNANNOUNCED: 'UNANNOUNCED',
  REPLAYED: 'PAYING',
  RETRY_AFTER_REVERSE: 'PAYING',
  EARLY_ANNOUNCED: 'EARLY',
  DUPLICATE_START: 'SUCCESS',
};

/** How long after the deadline an unannounced pay call's debit lands (well inside the 2 s pay window). */
const UNANNOUNCED_LANDS_AFTER_MS = 300;

/**
 * What the simulated checkout needs: a client, the peer, the task queue. It draws nothing itself: its timing and the
 * operator's actions are the order's script, drawn from the run's seed with the plan.
 */
export interface CheckoutContext {
  client: Client;
  peer: WechatpayPeer;
  taskQueue: string;
}

/** Waits `ms` (never negative). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The order as WeChat Pay holds it (snake_case sub-orders). */
export function peerFields(input: OrderInput): Parameters<typeof newOrder>[0] {
  return {
    combineOutTradeNo: input.combineOutTradeNo,
    combineAppid: input.combineAppid,
    subOrders: input.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid })),
  };
}

/**
 * Retries a client call while the server (or one of its services) is down or restarting: UNAVAILABLE, deadline,
 * connection or transport trouble, a shard or namespace not ready yet; one attempt a second.
 */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 60): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      // No answer within the call's deadline (a worker killed, the server restarting) is safe to retry, as the client
      // says: a checkout retries before it pays.
      const transient =
        err instanceof OrderNotAnsweringError ||
        /UNAVAILABLE|connect|ECONNREFUSED|deadline|transport|shard|not found.*namespace/i.test(
          String((err as Error).message),
        );
      if (!transient || attempt >= attempts) throw err;
      await sleep(1_000);
    }
  }
}

/** One order's pay call: beginPayment, then the debit lands (or not) at the peer; then markPaid for PAID orders. */
async function payLikeACheckout(ctx: CheckoutContext, o: CheckedOrder, source: string): Promise<void> {
  const result = PAY_RESULT[o.plan];
  if (result === undefined) return;
  if (result === 'UNANNOUNCED') return payUnannounced(ctx, o);
  const no = o.input.combineOutTradeNo;
  if (result === 'EARLY') {
    // Announced at page open (its window closes long before the deadline); the pay call itself is never announced.
    // A refused announcement (the start came too late under load) means no pay call at all, as for any checkout.
    if (!(await announce(ctx, o, `${no}-page-open`))) return;
    return payUnannounced(ctx, o);
  }
  await sleep(o.script?.announceAfterMs ?? 0);
  if (!(await announce(ctx, o, `${no}-1`))) return;
  o.payCallSent = true;
  if (result === 'LATE') await scheduleLatePay(ctx.peer.url, o.input, 'REVERSE_NOT_FOUND');
  else ctx.peer.setOrder(no, newOrder(peerFields(o.input), result));
  if (o.plan !== 'PAID' && o.plan !== 'DUPLICATE_START') return;
  await sleep(o.script?.markPaidAfterMs ?? 0);
  try {
    await withRetry(() => markPaid(ctx.client, no, { source }));
    o.markPaidAccepted = true;
  } catch (err) {
    o.markPaidAccepted = false;
    if (!(err instanceof MarkPaidRefusedError)) o.error = `markPaid: ${(err as Error).message}`;
  }
  if (o.plan === 'DUPLICATE_START' && o.markPaidAccepted) await startDuplicate(ctx, o);
}

/** `beginPayment` as a checkout sends it before paying; false (no pay call may be sent) when refused or failed. */
async function announce(ctx: CheckoutContext, o: CheckedOrder, attemptId: string): Promise<boolean> {
  try {
    await withRetry(() => beginPayment(ctx.client, o.input.combineOutTradeNo, { attemptId }));
    return true;
  } catch (err) {
    o.payCallSent = false;
    if (!(err instanceof BeginPaymentRefusedError)) o.error = `beginPayment: ${(err as Error).message}`;
    return false;
  }
}

/**
 * A second start of a paid order once its run ended (another language's checkout, a raw start without an id-reuse
 * policy, a start after retention): the same workflow id and input, due in 2 s. The first run's result is the order's.
 */
async function startDuplicate(ctx: CheckoutContext, o: CheckedOrder): Promise<void> {
  const workflowId = workflowIdFor(o.input.combineOutTradeNo);
  const firstRunId = (await withRetry(() => ctx.client.workflow.getHandle(workflowId).describe())).runId;
  o.result = await withRetry(() =>
    ctx.client.workflow.getHandle<() => Promise<OrderResult>>(workflowId, firstRunId).result(),
  );
  const paymentTimeout = Date.now() + 2_000 - Date.parse(o.input.orderCreatedAt!);
  await withRetry(async () => {
    try {
      await ctx.client.workflow.start(WORKFLOW_TYPE, {
        taskQueue: ctx.taskQueue,
        workflowId,
        args: [{ ...o.input, paymentTimeout }],
      });
    } catch (err) {
      // A start retried after it reached the server finds its own run: that is the duplicate.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  });
  o.duplicate = { firstRunId };
}

/** A DUPLICATE_START order is not settled before its duplicate run was started (its first run's end is not the end). */
function awaitingDuplicate(o: CheckedOrder): boolean {
  if (o.plan !== 'DUPLICATE_START' || o.error !== undefined || o.payCallSent === false) return false;
  return o.markPaidAccepted === undefined || (o.markPaidAccepted && o.duplicate === undefined);
}

/** Notes a completed run's result: the order's own, or (a DUPLICATE_START's second run) the duplicate's end. */
function noteCompleted(o: CheckedOrder, result: OrderResult): void {
  if (o.duplicate) {
    o.duplicate.phase = result.outcome;
    o.phase = o.result?.outcome;
  } else {
    o.result = result;
    o.phase = result.outcome;
  }
}

/**
 * A checkout that never announces its pay call (an older integration, a raw start): the debit lands just after the
 * deadline — unless WeChat Pay already knows the order (it never should before the pay window closes).
 */
async function payUnannounced(ctx: CheckoutContext, o: CheckedOrder): Promise<void> {
  const no = o.input.combineOutTradeNo;
  const deadline = Date.parse(o.input.orderCreatedAt!) + (parseDuration(o.input.paymentTimeout) ?? 0);
  await sleep(deadline + UNANNOUNCED_LANDS_AFTER_MS - Date.now());
  o.payCallSent = true;
  if (ctx.peer.orders.has(no)) return;
  ctx.peer.setOrder(no, newOrder(peerFields(o.input), 'SUCCESS'));
  o.landedAt = Date.now();
}

/**
 * The operator of the chaos run and the cluster test, for an order waiting in NEEDS_ATTENTION, as its script says:
 * `resolve-duplicate`: a DUPLICATE_START's second run resolved; `land-and-retry` (RETRY_AFTER_REVERSE, its first
 * reverse refused): its debit landed at WeChat Pay, then `retry`, once; `retry`: `retry`, once. True when it acted.
 */
async function operateStuckOrder(ctx: Pick<CheckoutContext, 'client' | 'peer'>, o: CheckedOrder): Promise<boolean> {
  const action = o.script?.operator;
  if (action === 'resolve-duplicate') {
    return o.duplicate !== undefined && o.duplicate.attention === undefined
      ? resolveDuplicate(ctx.client, o, o.duplicate)
      : false;
  }
  if (action === undefined || o.retriedAt !== undefined) return false;
  const no = o.input.combineOutTradeNo;
  const order = ctx.peer.orders.get(no);
  if (action === 'land-and-retry' && order && order.state === 'PAYING') {
    ctx.peer.setOrder(no, newOrder(peerFields(o.input), 'SUCCESS'));
    o.landedAt = Date.now();
  }
  await retryOrder(ctx.client, no);
  o.retriedAt = Date.now();
  return true;
}

/**
 * One look at an order for the chaos run and the cluster test: notes its end (result and phase) if it has one, acts
 * as the operator on a NEEDS_ATTENTION stop its script names; false while it is still moving (or the server is down:
 * the next round looks again).
 */
export async function settleOrder(ctx: Pick<CheckoutContext, 'client' | 'peer'>, o: CheckedOrder): Promise<boolean> {
  const handle = ctx.client.workflow.getHandle(workflowIdFor(o.input.combineOutTradeNo));
  try {
    const d = await handle.describe();
    if (awaitingDuplicate(o)) return false;
    if (d.status.name === 'COMPLETED') {
      noteCompleted(o, (await handle.result()) as OrderResult);
    } else if (d.status.name !== 'RUNNING') {
      o.phase = d.status.name;
    } else if (d.typedSearchAttributes.get(PaymentPhaseKey) === 'NEEDS_ATTENTION') {
      if (await operateStuckOrder(ctx, o)) return false;
      if (await stoppedAfterRetry(ctx.client, o)) o.phase = 'NEEDS_ATTENTION';
    }
    return o.phase !== undefined;
  } catch {
    return false; // e.g. the dev server is restarting, a cluster service is down
  }
}

/** A DUPLICATE_START's second run stopped for an operator: noted, and resolved as the duplicate it is. */
async function resolveDuplicate(
  client: Client,
  o: CheckedOrder,
  duplicate: NonNullable<CheckedOrder['duplicate']>,
): Promise<boolean> {
  const handle = client.workflow.getHandle(workflowIdFor(o.input.combineOutTradeNo));
  const status = await handle.query(statusQuery);
  duplicate.attention = status.reverse.lastFailure?.type ?? status.attention?.step ?? 'unknown';
  await resolveOrder(client, o.input.combineOutTradeNo, 'duplicate start of a paid order: nothing to do');
  return true;
}

/**
 * Whether an order the operator retried has stopped in NEEDS_ATTENTION again: a new stop (its attention began after the
 * retry), not the one retried, which visibility may still show while the order waits for a worker. Orders never
 * retried: true; a DUPLICATE_START's second run once resolved: false (it is finishing).
 */
async function stoppedAfterRetry(client: Client, o: CheckedOrder): Promise<boolean> {
  // A duplicate run the operator resolved is finishing (visibility may still show NEEDS_ATTENTION): not stopped.
  if (o.duplicate?.attention !== undefined) return false;
  if (o.retriedAt === undefined) return true;
  const status = await client.workflow.getHandle(workflowIdFor(o.input.combineOutTradeNo)).query(statusQuery);
  const since = Date.parse(status.attention?.since ?? '');
  return status.phase === 'NEEDS_ATTENTION' && since > o.retriedAt;
}

/**
 * Starts every order, `batch` at a time (created 15 s before its start; the start retried while the cluster is
 * unavailable), each paying like a checkout right after its start. Resolves once all are started, with the promise
 * of the payments.
 */
export async function placeOrders(
  ctx: CheckoutContext,
  orders: CheckedOrder[],
  batch: number,
  source: string,
): Promise<{ payments: Promise<void> }> {
  const payments: Promise<void>[] = [];
  for (let i = 0; i < orders.length; i += batch) {
    await Promise.all(
      orders.slice(i, i + batch).map(async (o) => {
        o.input.orderCreatedAt = new Date(Date.now() - 15_000).toISOString();
        await withRetry(() =>
          startOrder(ctx.client, o.input, { taskQueue: ctx.taskQueue, minPayWindow: SIMULATOR_PAY_WINDOW_FLOOR }),
        );
        payments.push(payLikeACheckout(ctx, o, source));
      }),
    );
  }
  return { payments: Promise.all(payments).then(() => undefined) };
}
