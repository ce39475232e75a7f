/**
 * The orders as the trade-bill reconciliation finds them in Temporal visibility: a day's orders of one secondary
 * merchant (`SubMchIds`, close time), the orders that own given sub-orders (`SubOutTradeNos`), and the secondary
 * merchants a day's orders involve. Through the worker's own connection.
 */
import { Client, type WorkflowExecutionInfo } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import type { OrderIndex } from '../activities/trade-bill';
import {
  CombineOutTradeNoKey,
  PaymentPhaseKey,
  SubMchIdsKey,
  SubOutTradeNosKey,
  WORKFLOW_TYPE,
} from '../workflows/contract';
import type { TradeBillOrder } from '../activities/types';

/** Sub-orders asked for in one visibility query (`SubOutTradeNos IN (…)`). */
const OWNERS_PER_QUERY = 50;

/** A visibility query string literal (quotes and backslashes escaped). */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The orders of the product's workflow type that ran during `[from, to)`: started before its end, not closed before its start. */
function ranDuring(from: number, to: number): string {
  const start = visibilityString(new Date(from).toISOString());
  const end = visibilityString(new Date(to).toISOString());
  return `WorkflowType = '${WORKFLOW_TYPE}' AND StartTime < ${end} AND (ExecutionStatus = 'Running' OR CloseTime >= ${start})`;
}

/** An order listed by visibility, as the reconciliation reads it. */
function toOrder(wf: WorkflowExecutionInfo): TradeBillOrder {
  const memo = wf.memo?.subOrders;
  const subOrders =
    typeof memo === 'object' && memo !== null
      ? Object.fromEntries(Object.entries(memo).filter((e): e is [string, string] => typeof e[1] === 'string'))
      : {};
  return {
    workflowId: wf.workflowId,
    runId: wf.runId,
    combineOutTradeNo: wf.typedSearchAttributes.get(CombineOutTradeNoKey) ?? wf.workflowId,
    phase: wf.typedSearchAttributes.get(PaymentPhaseKey),
    outTradeNos: wf.typedSearchAttributes.get(SubOutTradeNosKey) ?? [],
    subOrders,
    startedAt: wf.startTime.getTime(),
    ...(wf.closeTime ? { closedAt: wf.closeTime.getTime() } : {}),
  };
}

/**
 * The sub-orders of an order whose visibility does not list them (started by a client before `SubOutTradeNos` and the
 * memo's sub-orders existed, deployment version 1.1.0 or older): read from its start input, the history's first event.
 */
async function withSubOrdersFromInput(client: Client, order: TradeBillOrder): Promise<TradeBillOrder> {
  if (order.outTradeNos.length > 0) return order;
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: order.workflowId, runId: order.runId },
    maximumPageSize: 1,
  });
  const payload = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  const input: unknown = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  const subOrders = (input as { subOrders?: unknown } | undefined)?.subOrders;
  if (!Array.isArray(subOrders)) return order;
  const pairs = subOrders
    .map((s: unknown) => s as { outTradeNo?: unknown; subMchid?: unknown })
    .filter(
      (s): s is { outTradeNo: string; subMchid: string } =>
        typeof s.outTradeNo === 'string' && typeof s.subMchid === 'string',
    )
    .map((s) => [s.outTradeNo, s.subMchid] as const);
  return { ...order, outTradeNos: pairs.map(([no]) => no), subOrders: Object.fromEntries(pairs) };
}

/** Builds the index over the worker's connection to `namespace`. */
export function createOrderIndex(connection: NativeConnection, namespace: string): OrderIndex {
  const client = new Client({ connection, namespace });
  const list = async function* (query: string): AsyncGenerator<TradeBillOrder> {
    for await (const wf of client.workflow.list({ query, pageSize: 1_000 })) {
      yield await withSubOrdersFromInput(client, toOrder(wf));
    }
  };
  return {
    ordersOf: (subMchid, from, to) => list(`${ranDuring(from, to)} AND SubMchIds = ${visibilityString(subMchid)}`),
    async owners(outTradeNos) {
      const found: TradeBillOrder[] = [];
      for (let i = 0; i < outTradeNos.length; i += OWNERS_PER_QUERY) {
        const batch = outTradeNos.slice(i, i + OWNERS_PER_QUERY).map(visibilityString);
        const query = `WorkflowType = '${WORKFLOW_TYPE}' AND SubOutTradeNos IN (${batch.join(', ')})`;
        for await (const order of list(query)) found.push(order);
      }
      return found;
    },
    async subMerchants(from, to) {
      const seen = new Set<string>();
      for await (const wf of client.workflow.list({ query: ranDuring(from, to), pageSize: 1_000 })) {
        for (const sub of wf.typedSearchAttributes.get(SubMchIdsKey) ?? []) seen.add(sub);
      }
      return [...seen].sort();
    },
  };
}
