/**
 * The trade-bill reconciliation from outside the worker: a run on demand for any day, and the daily Schedule
 * (`combine-papay-trade-bill`, 10:30 Asia/Shanghai, for the previous day) created or updated idempotently, paused and
 * resumed. Used by the operator CLI and by the worker at start.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsAction,
  type ScheduleSpec,
  type WorkflowHandle,
} from '@temporalio/client';
import {
  DEFAULT_TASK_QUEUE,
  TRADE_BILL_SCHEDULE_ID,
  TRADE_BILL_WORKFLOW_TYPE,
  type TradeBillInput,
  type TradeBillResult,
} from '../workflows/contract';

/** When the Schedule starts a run: every day at 10:30 Beijing time (bills are ready from 10:00). */
export const TRADE_BILL_SCHEDULE_SPEC: ScheduleSpec = {
  calendars: [{ hour: 10, minute: 30 }],
  timezone: 'Asia/Shanghai',
};

/** The task queue of the workers (`TEMPORAL_TASK_QUEUE`, else the default). */
function workersQueue(taskQueue: string | undefined): string {
  return taskQueue ?? process.env.TEMPORAL_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
}

/** What the Schedule does: start a reconciliation of the previous day (no input: the workflow takes yesterday). */
function scheduleAction(taskQueue: string): ScheduleOptionsAction {
  return {
    type: 'startWorkflow',
    workflowType: TRADE_BILL_WORKFLOW_TYPE,
    workflowId: TRADE_BILL_SCHEDULE_ID,
    taskQueue,
    args: [{}],
  };
}

/**
 * Starts a reconciliation of `billDate` now (any day: WeChat Pay's answer decides), with its own workflow id, so that
 * several runs for the same day may run at once.
 */
export async function startReconciliation(
  client: Client,
  input: TradeBillInput & { billDate: string },
  options: { taskQueue?: string } = {},
): Promise<WorkflowHandle> {
  return client.workflow.start(TRADE_BILL_WORKFLOW_TYPE, {
    taskQueue: workersQueue(options.taskQueue),
    workflowId: `${TRADE_BILL_SCHEDULE_ID}-${input.billDate}-on-demand-${Date.now()}`,
    args: [input],
  });
}

/** A reconciliation's result (waits for the run, following continue-as-new). */
export async function reconciliationResult(handle: WorkflowHandle): Promise<TradeBillResult> {
  return (await handle.result()) as TradeBillResult;
}

/**
 * Creates the daily Schedule, or brings an existing one's spec, action and policies to this version's (its paused
 * state and note stay as they are). Idempotent. Returns what it did.
 */
export async function ensureTradeBillSchedule(
  client: Client,
  options: { taskQueue?: string } = {},
): Promise<'created' | 'updated'> {
  const action = scheduleAction(workersQueue(options.taskQueue));
  const policies = { overlap: ScheduleOverlapPolicy.BUFFER_ONE, catchupWindow: '1 day' } as const;
  try {
    await client.schedule.create({
      scheduleId: TRADE_BILL_SCHEDULE_ID,
      spec: TRADE_BILL_SCHEDULE_SPEC,
      action,
      policies,
    });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(TRADE_BILL_SCHEDULE_ID).update((previous) => ({
    ...previous,
    spec: TRADE_BILL_SCHEDULE_SPEC,
    action,
    policies: { ...previous.policies, ...policies },
  }));
  return 'updated';
}

/** Pauses (`pause: true`) or resumes the daily Schedule, with a note the Web UI shows. */
export async function pauseTradeBillSchedule(client: Client, pause: boolean, note: string): Promise<void> {
  const handle = client.schedule.getHandle(TRADE_BILL_SCHEDULE_ID);
  if (pause) await handle.pause(note);
  else await handle.unpause(note);
}

/** The Schedule's state in one line: paused or not, its note, its next run. */
export async function describeTradeBillSchedule(client: Client): Promise<string> {
  const d = await client.schedule.getHandle(TRADE_BILL_SCHEDULE_ID).describe();
  const next = d.info.nextActionTimes[0]?.toISOString() ?? '-';
  const state = d.state.paused ? 'paused' : 'active';
  return `${TRADE_BILL_SCHEDULE_ID}: ${state}${d.state.note ? ` (${d.state.note})` : ''}, next run ${next}, ${d.info.numActionsTaken} run(s) so far`;
}
