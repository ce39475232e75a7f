/**
 * The orders as the trade-bill reconciliation finds them in Temporal visibility: a day's orders of one secondary
 * merchant (`SubMchIds`, close time), the orders that own given sub-orders (`SubOutTradeNos`), and the secondary
 * merchants a day's orders involve. Through the worker's own connection.
 */
import { Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { NativeConnection } from '@temporalio/worker';
import type { OrderIndex } from '../activities/trade-bill';
import {
  CombineOutTradeNoKey,
  PaymentPhaseKey,
  SubMchIdsKey,
  SubOutTradeNosKey,
  WORKFLOW_TYPE,
  type TradeBillOrder,
} from '../workflows/contract';

/** Sub-orders asked for in one visibility query (`SubOutTradeNos IN (…)`). */
const OWNERS_PER_QUERY = 50;

/** A visibility query string literal (quotes and backslashes escaped). */
export function visibilityString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The orders of the product's workflow type that ran during `[from, to)`: closed in it, or running and started before its end. */
function ranDuring(from: number, to: number): string {
  const start = visibilityString(new Date(from).toISOString());
  const end = visibilityString(new Date(to).toISOString());
  return `WorkflowType = '${WORKFLOW_TYPE}' AND StartTime < ${end} AND (ExecutionStatus = 'Running' OR (CloseTime >= ${start} AND CloseTime < ${end}))`;
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

/** Builds the index over the worker's connection to `namespace`. */
export function createOrderIndex(connection: NativeConnection, namespace: string): OrderIndex {
  const client = new Client({ connection, namespace });
  const list = async function* (query: string): AsyncGenerator<TradeBillOrder> {
    for await (const wf of client.workflow.list({ query, pageSize: 1_000 })) yield toOrder(wf);
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
