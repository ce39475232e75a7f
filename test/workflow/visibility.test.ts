/**
 * What an order costs in visibility commands: a client start carries the search attributes and memo, so the workflow
 * upserts only real phase changes (plus the SDK's one `TemporalChangeVersion` for its patch marker); a raw start
 * without them gets what it lacks in one upsert and one memo change. A bill row finds its order by the sub-order's
 * `out_trade_no` (`SubOutTradeNos`). Mocked activities, real dev server.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { checkOrderInput, markPaid, startOrder } from '../../client';
import { waitFor } from '../../tools/devstack/dev-server';
import {
  PaymentPhaseKey,
  SubOutTradeNosKey,
  WORKFLOW_TYPE,
  workflowIdFor,
  type OrderInput,
  type OrderResult,
} from '../../workflows/contract';
import { paymentDeadline } from '../../workflows/policies';
import { initialSearchAttributes, orderMemo } from '../../workflows/visibility';
import { useFakeActivitiesWorker } from '../harness/fake-activities';
import { orderInput, waitForPhase } from '../harness/orders';
import { recordHistory } from '../harness/record';

/** The search attributes of an order (every custom one but the reconciliation's `TradeBillDate`). */
const ORDER_SEARCH_ATTRIBUTES = ['CombineOutTradeNo', 'PaymentDeadline', 'PaymentPhase', 'SubMchIds', 'SubOutTradeNos'];

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Each upsert of the history as `{ key: value }` (values decoded from their JSON payloads). */
function upserts(events: HistoryEvent[]): Record<string, unknown>[] {
  return events
    .filter((e) => e.upsertWorkflowSearchAttributesEventAttributes)
    .map((e) =>
      Object.fromEntries(
        Object.entries(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).map(
          ([key, payload]) => [key, JSON.parse(Buffer.from(payload.data ?? []).toString('utf8')) as unknown],
        ),
      ),
    );
}

const memoChanges = (events: HistoryEvent[]): number =>
  events.filter((e) => e.workflowPropertiesModifiedEventAttributes).length;

async function historyOf(handle: WorkflowHandle): Promise<HistoryEvent[]> {
  return (await handle.fetchHistory()).events ?? [];
}

describe('visibility commands per order', () => {
  const suite = useFakeActivitiesWorker('visibility');
  const { taskQueue } = suite;
  let client: Client;
  beforeAll(() => {
    client = suite.client();
  });

  it('a client-started paid order upserts its PAID phase and nothing that repeats the start values', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    await markPaid(client, input.combineOutTradeNo);
    expect((await handle.result()).outcome).toBe('PAID');
    const events = await historyOf(handle);
    expect(upserts(events)).toEqual([{ PaymentPhase: 'PAID' }]);
    expect(memoChanges(events)).toBe(0);
    const described = await handle.describe();
    expect(described.memo).toMatchObject({ order: { combineOutTradeNo: input.combineOutTradeNo, subOrders: 2 } });
    expect(described.typedSearchAttributes.get(PaymentPhaseKey)).toBe('PAID');
    expect(described.typedSearchAttributes.get(SubOutTradeNosKey)).toEqual(input.subOrders.map((s) => s.outTradeNo));
  });

  it("a bill row's out_trade_no finds the order that owns the sub-order (SubOutTradeNos, set at start)", async () => {
    const input = orderInput({ dueInMs: 60_000, subOrderCount: 3 });
    const { handle, workflowId } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    const events = await historyOf(handle);
    const started = events[0]?.workflowExecutionStartedEventAttributes?.searchAttributes?.indexedFields ?? {};
    expect(JSON.parse(Buffer.from(started.SubOutTradeNos?.data ?? []).toString('utf8'))).toEqual(
      input.subOrders.map((s) => s.outTradeNo),
    );
    const second = input.subOrders[1]!.outTradeNo;
    let found: string[] = [];
    await waitFor(`visibility to find the order of ${second}`, async () => {
      found = [];
      for await (const wf of client.workflow.list({ query: `SubOutTradeNos = '${second}'` })) found.push(wf.workflowId);
      return found.length > 0;
    });
    expect(found).toEqual([workflowId]);
    await markPaid(client, input.combineOutTradeNo);
    await handle.result();
    expect(upserts(await historyOf(handle))).toEqual([{ PaymentPhase: 'PAID' }]);
  });

  it('a start with every attribute but SubOutTradeNos (a 1.1 client) gets SubOutTradeNos alone in one upsert', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const spec = checkOrderInput(input);
    const deadline = paymentDeadline(spec);
    const older = initialSearchAttributes(spec, deadline).filter((p) => p.key.name !== 'SubOutTradeNos');
    const handle = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(input.combineOutTradeNo),
      args: [input],
      typedSearchAttributes: new TypedSearchAttributes(older),
      // The order's memo as this version builds it: the search attribute alone is what the start left out.
      memo: { ...orderMemo(spec, deadline) },
    });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    await markPaid(client, input.combineOutTradeNo);
    await handle.result();
    const [announced, ...rest] = upserts(await historyOf(handle));
    expect(announced).toEqual({ SubOutTradeNos: input.subOrders.map((s) => s.outTradeNo) });
    expect(rest).toEqual([{ PaymentPhase: 'PAID' }]);
    expect(memoChanges(await historyOf(handle))).toBe(0);
    await recordHistory('start-without-sub-out-trade-nos-paid', handle);
  });

  it('an order without orderCreatedAt gets the deadline the workflow computes at start (nothing to correct)', async () => {
    const { orderCreatedAt: _omitted, ...input } = orderInput({ dueInMs: 60_000 });
    const { handle } = await startOrder(client, input, { taskQueue });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    await markPaid(client, input.combineOutTradeNo);
    await handle.result();
    expect(upserts(await historyOf(handle))).toEqual([{ PaymentPhase: 'PAID' }]);
  });

  it('a reversed order upserts each phase once, in order, and no other marker', async () => {
    const input = orderInput({ dueInMs: 300 });
    const { handle } = await startOrder(client, input, { taskQueue });
    expect((await handle.result()).outcome).toBe('REVERSED');
    const events = await historyOf(handle);
    expect(upserts(events)).toEqual([
      { PaymentPhase: 'REVERSING' },
      { PaymentPhase: 'COMPENSATING' },
      { PaymentPhase: 'REVERSED' },
    ]);
    expect(memoChanges(events)).toBe(0);
  });

  it('a raw start without attributes gets all of them in one upsert and its memo once', async () => {
    const input = orderInput({ dueInMs: 60_000 });
    const handle = await client.workflow.start<(input: OrderInput) => Promise<OrderResult>>(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: workflowIdFor(input.combineOutTradeNo),
      args: [input],
    });
    await waitForPhase(handle, 'AWAITING_PAYMENT');
    await markPaid(client, input.combineOutTradeNo);
    expect((await handle.result()).outcome).toBe('PAID');
    const events = await historyOf(handle);
    const [announced, ...rest] = upserts(events);
    expect(Object.keys(announced ?? {}).sort()).toEqual(ORDER_SEARCH_ATTRIBUTES);
    expect(announced).toMatchObject({
      CombineOutTradeNo: input.combineOutTradeNo,
      PaymentPhase: 'AWAITING_PAYMENT',
      SubMchIds: ['1900000001', '1900000002'],
      SubOutTradeNos: input.subOrders.map((s) => s.outTradeNo),
    });
    expect(rest).toEqual([{ PaymentPhase: 'PAID' }]);
    expect(memoChanges(events)).toBe(1);
    const described = await handle.describe();
    expect(described.memo).toMatchObject({ order: { combineOutTradeNo: input.combineOutTradeNo } });
    expect(described.typedSearchAttributes.get(SubOutTradeNosKey)).toEqual(input.subOrders.map((s) => s.outTradeNo));
    await recordHistory('raw-start-paid', handle);
  });
});
