/**
 * The order gauges' readings (worker/order-gauges.ts) from the real dev server's visibility, for one task queue: an
 * order entering NEEDS_ATTENTION is counted in its phase with its lateness past the deadline, and no longer once resolved.
 */
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { resolveOrder, startOrder } from '../../client';
import { waitFor } from '../../tools/devstack/dev-server';
import { ErrorType } from '../../workflows/contract';
import { readOrderCounts } from '../../worker/order-gauges';
import { useFakeActivitiesWorker } from '../harness/fake-activities';
import { orderInput, waitForPhase } from '../harness/orders';

describe('order gauges (mocked activities, real server)', () => {
  const suite = useFakeActivitiesWorker('gauges');
  const { fake, taskQueue } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  it('counts an order in NEEDS_ATTENTION with its lateness, and stops counting it once resolved', async () => {
    const input = orderInput({ dueInMs: 200 });
    fake.reverseScript = () =>
      ApplicationFailure.create({ type: ErrorType.REVERSE_REJECTED, nonRetryable: true, message: 'PARAM_ERROR' });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'NEEDS_ATTENTION');
    const deadline = Date.parse(input.orderCreatedAt!) + 20_200;
    await waitFor('visibility to count the order', async () => {
      const now = await readOrderCounts(client, taskQueue);
      return now.orders.NEEDS_ATTENTION === 1;
    });
    const counted = await readOrderCounts(client, taskQueue);
    expect(counted.orders).toEqual({ AWAITING_PAYMENT: 0, REVERSING: 0, COMPENSATING: 0, NEEDS_ATTENTION: 1 });
    expect(counted.oldestPastDeadlineSeconds.NEEDS_ATTENTION).toBeGreaterThanOrEqual(
      Math.floor((Date.now() - deadline) / 1_000) - 1,
    );

    await resolveOrder(client, input.combineOutTradeNo, 'closed by hand in the merchant portal');
    await handle.result();
    await waitFor('visibility to drop the order', async () => {
      const now = await readOrderCounts(client, taskQueue);
      return now.orders.NEEDS_ATTENTION === 0 && now.oldestPastDeadlineSeconds.NEEDS_ATTENTION === 0;
    });
  });
});
