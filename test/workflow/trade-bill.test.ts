/**
 * The reconciliation workflow's own logic on the real dev server, with its activities replaced (what one merchant's
 * bill showed is given): the sums and the Web UI details, yesterday by default, bad input named, a day left not
 * reconciled failing with the result in its details, and history bounded by continue-as-new over many merchants.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { connectClient, runTestWorker, uniqueId } from '../harness/env';
import {
  BillMismatchKind,
  ErrorType,
  TRADE_BILL_WORKFLOW_TYPE,
  TradeBillDateKey,
  type TradeBillResult,
} from '../../workflows/contract';
import type { SubMerchantReconciliation } from '../../activities/types';
import { beijingDay, billDateOf } from '../../workflows/trade-bill/days';
import { readReconciledDay } from '../../worker/order-gauges';
import { waitFor } from '../../tools/devstack/dev-server';
import { MERCHANTS_PER_RUN } from '../../workflows/trade-bill/workflow';

/** One merchant's bill as the replaced activity reports it: 2 rows matched, and one mismatch for merchant "13…". */
function reconciled(subMchid: string): SubMerchantReconciliation {
  const mismatch = {
    kind: BillMismatchKind.PAID_WITHOUT_ORDER,
    subMchid,
    outTradeNo: `lost-${subMchid}`,
    detail: 'no order workflow knows it',
  };
  return {
    subMchid,
    outcome: 'RECONCILED',
    rows: 2,
    ordersChecked: 1,
    matched: 2,
    unsettled: 0,
    mismatches: subMchid.startsWith('13') ? [mismatch] : [],
    unread: [],
  };
}

describe('tradeBillReconciliationWorkflow', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  /** Runs the workflow with replaced activities; `refuse` lists merchants whose bill is refused for good. */
  async function run(input: unknown, merchants: string[], refuse: string[] = []) {
    const taskQueue = uniqueId('bill');
    const workflowId = uniqueId('bill-wf');
    const asked: string[] = [];
    const worker = await runTestWorker({
      taskQueue,
      activities: {
        tradeBillSubMerchants: async () => merchants,
        reconcileTradeBill: async ({ subMchid }: { billDate: string; subMchid: string }) => {
          asked.push(subMchid);
          if (refuse.includes(subMchid)) {
            throw ApplicationFailure.create({
              type: ErrorType.TRADE_BILL_REFUSED,
              message: 'NO_AUTH',
              nonRetryable: true,
            });
          }
          return reconciled(subMchid);
        },
      },
    });
    const handle = await client.workflow.start(TRADE_BILL_WORKFLOW_TYPE, { taskQueue, workflowId, args: [input] });
    const outcome = await handle.result().then(
      (r) => ({ ok: true as const, result: r as TradeBillResult }),
      (err: unknown) => ({ ok: false as const, err }),
    );
    // The Web UI's details of the run (a query: answered by the worker, so asked before it stops).
    const metadata = await handle.query<{ currentDetails?: string }>('__temporal_workflow_metadata');
    await worker.stop();
    return { outcome, asked, handle, details: metadata.currentDetails ?? '' };
  }

  it('sums every merchant, shows the sums in the Web UI and finds the day by its search attribute', async () => {
    const { outcome, handle, details } = await run({ billDate: '2026-12-04' }, ['1900000001', '1300000002']);
    expect(outcome).toEqual({
      ok: true,
      result: {
        billDate: '2026-12-04',
        subMerchants: 2,
        rows: 4,
        ordersChecked: 2,
        matched: 4,
        unsettled: 0,
        mismatchCount: 1,
        mismatches: [expect.objectContaining({ kind: BillMismatchKind.PAID_WITHOUT_ORDER, subMchid: '1300000002' })],
        unread: [],
        notReconciled: [],
      },
    });
    const described = await handle.describe();
    expect(described.typedSearchAttributes.get(TradeBillDateKey)).toBe('2026-12-04');
    expect(details).toContain('**Trade bill 2026-12-04** — 2 merchants checked, 0 left');
    expect(details).toContain('mismatches 1 · PAID_WITHOUT_ORDER 1');
  });

  it('gives the reconciled-day gauge the latest day whose run completed (a failed run does not count)', async () => {
    const far = '2099-01-02';
    await run({ billDate: '2099-01-03' }, ['1900000001'], ['1900000001']); // fails: not reconciled
    const { outcome } = await run({ billDate: far }, ['1900000001']);
    expect(outcome.ok).toBe(true);
    await waitFor('visibility to list the completed run', async () => (await readReconciledDay(client)) > 0);
    await waitFor(
      'the gauge to read the far day',
      async () => (await readReconciledDay(client)) === beijingDay(far).from / 1_000,
    );
  });

  it('reconciles yesterday (Beijing time) when no day is given, and only the merchants given', async () => {
    const before = billDateOf(Date.now() - 86_400_000);
    const { outcome, asked } = await run({ subMchids: ['1900000003'] }, ['1900000009']);
    const after = billDateOf(Date.now() - 86_400_000);
    expect(asked).toEqual(['1900000003']);
    expect(outcome.ok && [before, after]).toContain(outcome.ok ? outcome.result.billDate : '');
  });

  it('refuses bad input, naming the field', async () => {
    for (const [input, field] of [
      [{ billDate: '2026-02-30' }, 'billDate'],
      [{ billDate: '2026-12-04', subMchids: ['19x'] }, 'subMchids[0]'],
      ['2026-12-04', 'the input must be an object'],
    ] as const) {
      const { outcome } = await run(input, []);
      expect(outcome.ok).toBe(false);
      const cause = !outcome.ok && outcome.err instanceof WorkflowFailedError ? outcome.err.cause : undefined;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(ErrorType.INVALID_TRADE_BILL_INPUT);
      expect((cause as ApplicationFailure).message).toContain(field);
    }
  });

  it('fails TRADE_BILL_NOT_RECONCILED, with the result in its details, when a merchant’s bill could not be read', async () => {
    const { outcome } = await run({ billDate: '2026-12-04' }, ['1900000001', '1900000002'], ['1900000002']);
    const cause = !outcome.ok && outcome.err instanceof WorkflowFailedError ? outcome.err.cause : undefined;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const failure = cause as ApplicationFailure;
    expect(failure.type).toBe(ErrorType.TRADE_BILL_NOT_RECONCILED);
    expect(failure.message).toContain('1900000002');
    const sums = failure.details?.[0] as TradeBillResult;
    expect(sums.notReconciled.map((n) => n.subMchid)).toEqual(['1900000002']);
    expect(sums.notReconciled[0]?.reason).toContain('TRADE_BILL_REFUSED');
    expect(sums.subMerchants).toBe(2);
  });

  it('continues as new over many merchants and carries the sums to the last run', async () => {
    const merchants = Array.from({ length: MERCHANTS_PER_RUN * 2 + 5 }, (_, i) => String(1900000000 + i));
    const { outcome, asked, handle } = await run({ billDate: '2026-12-04' }, merchants);
    expect(asked.sort()).toEqual([...merchants].sort());
    expect(outcome.ok && outcome.result).toMatchObject({ subMerchants: merchants.length, rows: merchants.length * 2 });
    const runs = client.workflow.list({ query: `WorkflowId = '${handle.workflowId}'` });
    let count = 0;
    for await (const listed of runs) if (listed.workflowId === handle.workflowId) count += 1;
    expect(count).toBe(3);
  });
});
