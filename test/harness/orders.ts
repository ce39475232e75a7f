/** Order inputs and waiting helpers for the suites. */
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { sampleOrderInput } from '../../tools/devstack/order-input';
import { statusQuery, type OrderInput, type OrderPhase, type OrderStatus } from '../../workflows/contract';

/** A unique, valid combined order number. */
export function orderNo(prefix = 'T'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`.slice(0, 32);
}

/**
 * A valid input whose deadline falls `dueInMs` from now. The order "was created" 20 s ago and its pay window is 2 s,
 * so only a `beginPayment` delays the reverse past the deadline.
 */
export function orderInput(
  overrides: Partial<OrderInput> & { dueInMs?: number; subOrderCount?: number } = {},
): OrderInput {
  const { dueInMs = 1_000, subOrderCount = 2, ...rest } = overrides;
  const input = sampleOrderInput(rest.combineOutTradeNo ?? orderNo(), {
    subOrders: subOrderCount,
    orderCreatedAt: Date.now() - 20_000,
    paymentTimeout: 20_000 + dueInMs,
    payWindow: '2s',
    retryPolicy: {
      // The WeChat Pay calls' floor (1 s apart at the least); the downstream calls may retry faster.
      wechatpay: { initialInterval: '1s', maximumInterval: '1s', scheduleToClose: '1m' },
      downstream: { initialInterval: '100ms', maximumInterval: '500ms', scheduleToClose: '1m' },
    },
  });
  return { ...input, ...rest };
}

/**
 * `input` with its deadline moved to `dueInMs` from now (same order, same creation time): for a deadline that must
 * be counted from the moment the order starts, not from when its input was built.
 */
export function dueFromNow(input: OrderInput, dueInMs: number): OrderInput {
  return { ...input, paymentTimeout: Date.now() + dueInMs - Date.parse(input.orderCreatedAt!) };
}

/**
 * Polls the status query until `predicate` holds; fails with the last status after `timeoutMs` (of real time). `pause`
 * waits between polls: the time-skipping suites pass theirs, which lets the server's clock skip meanwhile.
 */
export async function waitForStatus(
  handle: WorkflowHandle,
  predicate: (s: OrderStatus) => boolean,
  timeoutMs = 30_000,
  pause: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<OrderStatus> {
  const until = Date.now() + timeoutMs;
  let last: OrderStatus | undefined;
  for (;;) {
    try {
      last = await handle.query(statusQuery);
      if (predicate(last)) return last;
    } catch {
      // Not started yet, or between tasks.
    }
    if (Date.now() > until) {
      throw new Error(`condition not reached within ${timeoutMs} ms; last status: ${JSON.stringify(last)}`);
    }
    await pause(100);
  }
}

/** Waits until the order is in `phase` (`pause`: as for {@link waitForStatus}). */
export function waitForPhase(
  handle: WorkflowHandle,
  phase: OrderPhase,
  timeoutMs?: number,
  pause?: (ms: number) => Promise<void>,
): Promise<OrderStatus> {
  return waitForStatus(handle, (s) => s.phase === phase, timeoutMs, pause);
}
