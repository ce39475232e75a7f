/**
 * Bill days: a trade bill covers one Beijing-time day (UTC+8, no daylight saving), named `YYYY-MM-DD`. Pure and
 * deterministic (the reconciliation workflow and its activities share them).
 */

/** Beijing time's offset from UTC. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** Whether `value` is a `YYYY-MM-DD` date that exists in the calendar. */
export function isBillDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === value;
}

/** The instants `[from, to)` of a bill day (milliseconds since the epoch). */
export function beijingDay(billDate: string): { from: number; to: number } {
  const from = Date.parse(`${billDate}T00:00:00Z`) - BEIJING_OFFSET_MS;
  return { from, to: from + DAY_MS };
}

/** The bill day an instant falls in. */
export function billDateOf(ms: number): string {
  return new Date(ms + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
}

/** The day before a bill day. */
export function previousBillDate(billDate: string): string {
  return billDateOf(beijingDay(billDate).from - DAY_MS);
}

/** The day after a bill day. */
export function nextBillDate(billDate: string): string {
  return billDateOf(beijingDay(billDate).to);
}
