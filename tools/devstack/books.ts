/**
 * The money oracle of the whole-system runs (chaos, the cluster test, `npm start`'s demo): every Beijing day the run
 * touched is reconciled against the WeChat Pay peer's trade bill by the product's own reconciliation workflow, on the
 * run's workers. The peer serves today's bill (`serveTodayBill`, a test-only setting: real WeChat Pay gives a day's
 * bill the next morning), so a run can balance what it just did. 0 mismatches and every day reconciled is the invariant.
 */
import type { Client } from '@temporalio/client';
import { reconciliationResult, startReconciliation, type TradeBillResult } from '../../client';
import { billDateOf, nextBillDate } from '../../workflows/trade-bill/days';
import { changePeerSettings } from '../simulator/admin-client';

/** What the run's days showed: the sums over every day, and each mismatch or day not reconciled as a sentence. */
export interface Books {
  days: string[];
  rows: number;
  matched: number;
  unsettled: number;
  /** Each mismatch, and each day or merchant not reconciled, as one line (empty when the books balance). */
  problems: string[];
}

/** One line of the closing summary: `bill: D days, R rows, M matched, U unsettled, X mismatches`. */
export function booksLine(books: Books): string {
  const days = books.days.length;
  return `bill: ${days} day${days === 1 ? '' : 's'}, ${books.rows} rows, ${books.matched} matched, ${books.unsettled} unsettled, ${books.problems.length} mismatches`;
}

/** The problems of one day's result, as sentences. */
function problemsOf(result: TradeBillResult): string[] {
  return [
    ...result.mismatches.map(
      (m) =>
        `trade bill ${result.billDate}: ${m.kind} ${m.subMchid}/${m.outTradeNo}${m.combineOutTradeNo ? ` (order ${m.combineOutTradeNo}, ${m.orderOutcome ?? '?'})` : ''}: ${m.detail}`,
    ),
    ...(result.mismatchCount > result.mismatches.length
      ? [`trade bill ${result.billDate}: ${result.mismatchCount - result.mismatches.length} more mismatches not listed`]
      : []),
    ...result.unread.map((u) => `trade bill ${result.billDate}: ${u.subMchid} line ${u.line} unread: ${u.problem}`),
  ];
}

/**
 * Reconciles every Beijing day from `since` to now for `subMchids` on the workers of `taskQueue`, against the peer at
 * `peerUrl`. A day that cannot be reconciled is a problem (its reason), never a clean day.
 */
export async function balanceBooks(
  client: Client,
  options: { peerUrl: string; taskQueue: string; subMchids: string[]; since: number; waitForBill?: string },
): Promise<Books> {
  await changePeerSettings(options.peerUrl, { serveTodayBill: true });
  const books: Books = { days: [], rows: 0, matched: 0, unsettled: 0, problems: [] };
  const today = billDateOf(Date.now());
  for (let day = billDateOf(options.since); day <= today; day = nextBillDate(day)) {
    books.days.push(day);
    const input = { billDate: day, subMchids: options.subMchids, waitForBill: options.waitForBill ?? '2m' };
    const handle = await startReconciliation(client, input, { taskQueue: options.taskQueue });
    try {
      const result = await reconciliationResult(handle);
      books.rows += result.rows;
      books.matched += result.matched;
      books.unsettled += result.unsettled;
      books.problems.push(...problemsOf(result));
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      books.problems.push(`trade bill ${day}: not reconciled (${cause})`);
    }
  }
  return books;
}
