/**
 * `tradeBillReconciliationWorkflow`: one Beijing day's books balanced against WeChat Pay's trade bill — for each
 * secondary merchant, the bill read and set against the orders that own its rows (one activity per merchant), the
 * sums kept here, and the result shown in the Web UI. History stays bounded: after
 * {@link MERCHANTS_PER_RUN} merchants the run continues as new, carrying the sums. The day counts as reconciled only
 * when every merchant's bill was read and verified; otherwise the run fails `TRADE_BILL_NOT_RECONCILED` with the
 * result in its details. Deterministic code only.
 */
import {
  ApplicationFailure,
  continueAsNew,
  proxyActivities,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { TradeBillActivities } from '../../activities';
import { ErrorType, MAX_REPORTED_MISMATCHES, MCHID_RE, TradeBillDateKey, type TradeBillResult } from '../contract';
import type { SubMerchantReconciliation } from '../../activities/types';
import { describeFailure } from '../failures';
import { escapeMarkdown } from '../markdown';
import { parseDuration } from '../duration';
import { billDateOf, isBillDate } from './days';

/** Merchants reconciled by one run before it continues as new. */
export const MERCHANTS_PER_RUN = 100;
/**
 * Merchants reconciled at once: two 100,000-row bills fit the worker's 256 MB heap (tools/bench/README.md, "Trade bill
 * at scale"); a daily job gains little from more.
 */
const CONCURRENT_MERCHANTS = 2;
/**
 * Default of `waitForBill`: how long one merchant's bill is waited for (not ready, not to be had, corrupt) before the
 * day is left not reconciled.
 */
const DEFAULT_BILL_WAIT_MS = 12 * 3_600_000;
/** Longest `waitForBill` (a bill older than three months is not given any more). */
const MAX_BILL_WAIT_MS = 7 * 86_400_000;

const { tradeBillSubMerchants } = proxyActivities<TradeBillActivities>({
  startToCloseTimeout: '10m',
  retry: { maximumInterval: '1m', maximumAttempts: 20 },
});
/** The merchant activity, retried for at most `waitForBill`. */
function merchantActivity(waitForBillMs: number) {
  return proxyActivities<TradeBillActivities>({
    startToCloseTimeout: '1h',
    heartbeatTimeout: '5m',
    scheduleToCloseTimeout: waitForBillMs,
    retry: { initialInterval: '1s', maximumInterval: '30m', nonRetryableErrorTypes: [ErrorType.TRADE_BILL_REFUSED] },
  }).reconcileTradeBill;
}

/** What a run carries to the next (continue-as-new): the merchants left and the sums so far. */
interface Carried {
  /** Whether this run continues an earlier one (its merchants were listed there). */
  continued: boolean;
  billDate: string;
  waitForBillMs: number;
  subMchids: string[];
  sums: TradeBillResult;
}

/** Reconciles a day (default: yesterday in Beijing time) against WeChat Pay's trade bill. */
export async function tradeBillReconciliationWorkflow(input: unknown = {}): Promise<TradeBillResult> {
  const carried = readInput(input);
  upsertSearchAttributes([{ key: TradeBillDateKey, value: carried.billDate }]);
  const subMchids = carried.continued
    ? carried.subMchids
    : carried.subMchids.length
      ? carried.subMchids
      : await tradeBillSubMerchants({ billDate: carried.billDate });
  const sums = carried.sums;
  const reconcileTradeBill = merchantActivity(carried.waitForBillMs);
  const now = subMchids.slice(0, MERCHANTS_PER_RUN);
  for (let i = 0; i < now.length; i += CONCURRENT_MERCHANTS) {
    const batch = now.slice(i, i + CONCURRENT_MERCHANTS);
    const results = await Promise.allSettled(
      batch.map((subMchid) => reconcileTradeBill({ billDate: carried.billDate, subMchid })),
    );
    results.forEach((r, k) => add(sums, batch[k]!, r));
    setCurrentDetails(summaryMarkdown(sums, subMchids.length - i - batch.length));
  }
  const left = subMchids.slice(MERCHANTS_PER_RUN);
  if (left.length > 0) {
    const { billDate, waitForBillMs: waitForBill } = carried;
    await continueAsNew<typeof tradeBillReconciliationWorkflow>({ billDate, waitForBill, carried: sums, left });
  }
  if (sums.notReconciled.length > 0) {
    throw ApplicationFailure.create({
      type: ErrorType.TRADE_BILL_NOT_RECONCILED,
      nonRetryable: true,
      message: `${carried.billDate} not reconciled: ${sums.notReconciled.map((n) => `${n.subMchid} (${n.reason})`).join('; ')}`,
      details: [sums],
    });
  }
  return sums;
}

/** Adds one merchant's outcome to the sums. */
function add(sums: TradeBillResult, subMchid: string, outcome: PromiseSettledResult<SubMerchantReconciliation>): void {
  sums.subMerchants += 1;
  if (outcome.status === 'rejected') {
    const failure = describeFailure(outcome.reason, '');
    sums.notReconciled.push({ subMchid, reason: `${failure.type}: ${failure.message}` });
    return;
  }
  const r = outcome.value;
  sums.rows += r.rows;
  sums.ordersChecked += r.ordersChecked;
  sums.matched += r.matched;
  sums.unsettled += r.unsettled;
  sums.mismatchCount += r.mismatches.length;
  sums.mismatches.push(...r.mismatches.slice(0, MAX_REPORTED_MISMATCHES - sums.mismatches.length));
  sums.unread.push(...r.unread.slice(0, MAX_REPORTED_MISMATCHES - sums.unread.length));
}

/** The run's details in the Web UI: the sums so far, the mismatches by kind. */
function summaryMarkdown(sums: TradeBillResult, merchantsLeft: number): string {
  const byKind = new Map<string, number>();
  for (const m of sums.mismatches) byKind.set(m.kind, (byKind.get(m.kind) ?? 0) + 1);
  const lines = [
    `**Trade bill ${sums.billDate}** — ${sums.subMerchants} merchants checked, ${merchantsLeft} left`,
    `rows ${sums.rows} · matched ${sums.matched} · unsettled ${sums.unsettled} · orders checked ${sums.ordersChecked}`,
    `mismatches ${sums.mismatchCount}${[...byKind].map(([k, n]) => ` · ${k} ${n}`).join('')}`,
    ...(sums.unread.length ? [`unread lines ${sums.unread.length}`] : []),
    ...sums.notReconciled.map((n) => `not reconciled: ${escapeMarkdown(`${n.subMchid}: ${n.reason}`)}`),
  ];
  return lines.join('\n\n');
}

/** The empty sums of a day. */
function emptySums(billDate: string): TradeBillResult {
  return {
    billDate,
    subMerchants: 0,
    rows: 0,
    ordersChecked: 0,
    matched: 0,
    unsettled: 0,
    mismatches: [],
    mismatchCount: 0,
    unread: [],
    notReconciled: [],
  };
}

/**
 * The input, checked: `billDate` a real `YYYY-MM-DD` (default: the day before the run's scheduled or actual start, in
 * Beijing time), `subMchids` merchant ids. A run continued as new carries `carried` (its sums) and `left`.
 */
function readInput(input: unknown): Carried {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid('the input must be an object { billDate?, subMchids? }');
  }
  const { billDate, subMchids, carried, left, waitForBill } = input as Record<string, unknown>;
  const waitForBillMs = waitForBill === undefined ? DEFAULT_BILL_WAIT_MS : parseDuration(waitForBill);
  if (waitForBillMs === undefined || waitForBillMs < 1_000 || waitForBillMs > MAX_BILL_WAIT_MS) {
    throw invalid(`waitForBill must be a duration from 1s to 7d, got ${JSON.stringify(waitForBill)}`);
  }
  if (carried !== undefined) {
    const sums = carried as TradeBillResult;
    const rest = (left as string[] | undefined) ?? [];
    return { continued: true, billDate: sums.billDate, waitForBillMs, subMchids: rest, sums };
  }
  const date = billDate ?? billDateOf(startedAt() - 86_400_000);
  if (!isBillDate(date)) throw invalid(`billDate must be a date YYYY-MM-DD, got ${JSON.stringify(billDate)}`);
  if (subMchids !== undefined) {
    if (!Array.isArray(subMchids)) throw invalid('subMchids must be an array of merchant ids');
    const bad = subMchids.findIndex((s) => typeof s !== 'string' || !MCHID_RE.test(s));
    if (bad >= 0)
      throw invalid(`subMchids[${bad}] must be a merchant id (1-32 digits), got ${JSON.stringify(subMchids[bad])}`);
  }
  return {
    continued: false,
    billDate: date,
    waitForBillMs,
    subMchids: (subMchids as string[] | undefined) ?? [],
    sums: emptySums(date),
  };
}

/** When the Schedule meant the run to start (its `TemporalScheduledStartTime`), else when it started. */
function startedAt(): number {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.getAll().find((p) => p.key.name === 'TemporalScheduledStartTime');
  return scheduled?.value instanceof Date ? scheduled.value.getTime() : info.startTime.getTime();
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: ErrorType.INVALID_TRADE_BILL_INPUT,
    nonRetryable: true,
    message: `invalid trade-bill input: ${message}`,
  });
}
