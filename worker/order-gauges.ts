/**
 * Gauges of the orders themselves, for alerts: how many running orders of the worker's task queue sit in each phase,
 * and how long past its payment deadline the oldest running order of a late phase is (labels `phase`, `task_queue`). Counted from Temporal visibility (the queries an
 * operator types in the Web UI) every `WORKER_ORDER_GAUGES_INTERVAL`, and exported on the worker's metrics endpoint.
 *
 * One exporter per deployment: every process that turns them on queries visibility, so turn them on in one process
 * (`WORKER_ORDER_GAUGES=on` on a one-replica Deployment, or on one worker); the alert rules take the maximum per phase,
 * so two exporters during a rollout change nothing.
 */
import { Client, Connection } from '@temporalio/client';
import type { Logger, MetricMeter } from '@temporalio/common';
import {
  MetricName,
  OrderPhase,
  PaymentDeadlineKey,
  TRADE_BILL_WORKFLOW_TYPE,
  TradeBillDateKey,
  WORKFLOW_TYPE,
} from '../workflows/contract';
import { beijingDay, isBillDate } from '../workflows/trade-bill/days';
import type { WorkerConfig } from './config';

/** The phases of a running order. */
const RUNNING_PHASES = [
  OrderPhase.AWAITING_PAYMENT,
  OrderPhase.REVERSING,
  OrderPhase.COMPENSATING,
  OrderPhase.NEEDS_ATTENTION,
] as const;
/** The phases whose oldest order's lateness is measured (past the deadline is their normal state; long past is not). */
const LATE_PHASES = [OrderPhase.REVERSING, OrderPhase.COMPENSATING, OrderPhase.NEEDS_ATTENTION] as const;
/** Most orders of one phase read to find the oldest (a backlog beyond it reports the oldest of those read). */
const MAX_LISTED = 5_000;

/** The visibility query of the running orders in `phase` on `taskQueue` (one deployment's orders). */
function phaseQuery(phase: OrderPhase, taskQueue: string): string {
  return `WorkflowType = '${WORKFLOW_TYPE}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running' AND PaymentPhase = '${phase}'`;
}

/** One reading: orders per running phase, and seconds past the deadline of the oldest per late phase. */
export interface OrderCounts {
  orders: Record<string, number>;
  oldestPastDeadlineSeconds: Record<string, number>;
}

/** Reads the counts of the orders on `taskQueue` from visibility. */
export async function readOrderCounts(client: Client, taskQueue: string, now = Date.now()): Promise<OrderCounts> {
  const orders: Record<string, number> = {};
  for (const phase of RUNNING_PHASES) {
    orders[phase] = (await client.workflow.count(phaseQuery(phase, taskQueue))).count;
  }
  const oldestPastDeadlineSeconds: Record<string, number> = {};
  for (const phase of LATE_PHASES) {
    let oldest = now;
    let read = 0;
    if (orders[phase]) {
      for await (const wf of client.workflow.list({ query: phaseQuery(phase, taskQueue), pageSize: 1_000 })) {
        const deadline = wf.typedSearchAttributes.get(PaymentDeadlineKey)?.getTime();
        if (deadline !== undefined && deadline < oldest) oldest = deadline;
        if (++read >= MAX_LISTED) break;
      }
    }
    oldestPastDeadlineSeconds[phase] = Math.max(0, Math.round((now - oldest) / 1_000));
  }
  return { orders, oldestPastDeadlineSeconds };
}

/** Completed reconciliations read to find the latest day (on-demand runs for older days may be newer). */
const RECONCILIATIONS_READ = 100;

/**
 * The start (Unix seconds) of the latest Beijing day whose trade-bill reconciliation completed (0: none yet). A run
 * that left a merchant not reconciled fails, so it does not count.
 */
export async function readReconciledDay(client: Client): Promise<number> {
  const query = `WorkflowType = '${TRADE_BILL_WORKFLOW_TYPE}' AND ExecutionStatus = 'Completed'`;
  let latest = '';
  let read = 0;
  for await (const wf of client.workflow.list({ query, pageSize: RECONCILIATIONS_READ })) {
    const day = wf.typedSearchAttributes.get(TradeBillDateKey);
    if (isBillDate(day) && day > latest) latest = day;
    if (++read >= RECONCILIATIONS_READ) break;
  }
  return latest ? beijingDay(latest).from / 1_000 : 0;
}

/** Running gauges; `stop` ends the readings and closes their connection. */
export interface OrderGauges {
  stop(): Promise<void>;
}

/** Starts reading the counts every `intervalMs` into gauges on `meter`; a failed reading is logged and skipped. */
export async function startOrderGauges(
  config: WorkerConfig,
  meter: MetricMeter,
  logger: Logger,
  intervalMs: number,
): Promise<OrderGauges> {
  const connection = await Connection.connect(config.temporal.connectionOptions);
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const orders = meter.createGauge(MetricName.ORDERS, 'int', '1', 'running orders per phase (from visibility)');
  const late = meter.createGauge(
    MetricName.OLDEST_PAST_DEADLINE,
    'int',
    's',
    'seconds since the payment deadline of the oldest running order in the phase (0: none)',
  );
  const reconciled = meter.createGauge(
    MetricName.TRADE_BILL_RECONCILED_DAY,
    'int',
    's',
    'start of the latest Beijing day whose trade-bill reconciliation completed (0: none yet)',
  );
  let reading: Promise<void> = Promise.resolve();
  const read = (): void => {
    reading = Promise.all([readOrderCounts(client, config.taskQueue), readReconciledDay(client)]).then(
      ([counts, day]) => {
        const task_queue = config.taskQueue;
        for (const [phase, n] of Object.entries(counts.orders)) orders.set(n, { phase, task_queue });
        for (const [phase, s] of Object.entries(counts.oldestPastDeadlineSeconds)) late.set(s, { phase, task_queue });
        reconciled.set(day);
      },
      (err: unknown) => {
        logger.warn('order gauges: visibility reading failed', { error: String(err) });
      },
    );
  };
  read();
  const timer = setInterval(read, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      await connection.close();
    },
  };
}
