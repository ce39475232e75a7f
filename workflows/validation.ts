/**
 * Validation of the order input, shared by the client (before it starts a workflow) and the workflow (which fails
 * at once, non-retryably, on bad input). Pure and deterministic: `now` is passed in.
 */
import { formatDuration, parseDuration } from './duration';
import {
  DEFAULT_COMPENSATION_RETRY,
  DEFAULT_PAYMENT_TIMEOUT_MS,
  DEFAULT_PAY_WINDOW_MS,
  DEFAULT_REVERSE_RETRY,
  LEGACY_RETRY_LIMITS,
  MAX_CLOCK_SKEW_MS,
  MAX_PAY_WINDOW_MS,
  REVERSE_WINDOW_MS,
  WECHATPAY_RETRY_LIMITS,
  type RetryLimits,
} from './policies';
import { OnPaidAtDeadline, type OrderSpec, type ResolvedRetry, type SubOrderInput } from './types';

/** One broken rule: the field's path (e.g. `subOrders[2].outTradeNo`) and what is wrong with it. */
export interface ValidationIssue {
  field: string;
  problem: string;
}

/** The validator's answer. */
export type ValidationResult = { ok: true; spec: OrderSpec } | { ok: false; issues: ValidationIssue[] };

/** Most sub-orders a combined order may have. */
export const MAX_SUB_ORDERS = 50;
/** Order numbers: 1–32 of digits, letters and `_ - | * @`. */
export const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;
/** Merchant ids (`mchid`, `subMchid`): 1–32 digits, as WeChat Pay issues them. */
export const MCHID_RE = /^[0-9]{1,32}$/;
/** App ids (`combineAppid`, `subAppid`): 1–32 of digits, letters, `_` and `-` (e.g. `wxd678efh567hg6787`). */
export const APPID_RE = /^[0-9A-Za-z_-]{1,32}$/;
/** Ids of orders started before `Patches.STRICT_INPUT`: 1–32 printable ASCII characters without spaces. */
const LEGACY_ID_RE = /^[\x21-\x7e]{1,32}$/;
const ORDER_NO_RULE = '1-32 characters of 0-9 A-Z a-z _ - | * @';
const MCHID_RULE = '1-32 digits';
const APPID_RULE = '1-32 characters of 0-9 A-Z a-z _ -';
const LEGACY_ID_RULE = '1-32 printable characters without spaces';
/** ISO-8601 with a zone; the captures are checked against the calendar (see {@link parseIsoTime}). */
const ISO_8601_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

/** Options of {@link validateOrderInput}. */
export interface ValidationOptions {
  /**
   * The rules of orders started before `Patches.STRICT_INPUT` (the workflow passes it when replaying such an
   * order, so that it takes the path it took): ids of any printable ASCII, dates as `Date.parse` reads them (a
   * 31 November rolls over), the WeChat Pay retry overrides with the downstream bounds. The client never uses it.
   */
  legacy?: boolean;
}

const TOP_LEVEL_FIELDS = new Set([
  'combineOutTradeNo',
  'combineAppid',
  'subOrders',
  'paymentTimeout',
  'orderCreatedAt',
  'payWindow',
  'onPaidAtDeadline',
  'retryPolicy',
]);
const SUB_ORDER_FIELDS = new Set(['mchid', 'outTradeNo', 'subMchid', 'subAppid']);
const RETRY_FIELDS = new Set(['initialInterval', 'backoffCoefficient', 'maximumInterval', 'scheduleToClose']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string')
    return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/**
 * An ISO-8601 time as epoch milliseconds, or NaN. Every field must exist in the calendar (month 1–12, a day the
 * month has, hour 0–23, minute and second 0–59, zone offset up to 23:59): `2026-11-31` is refused, not rolled over
 * to 1 December as `Date.parse` would.
 */
export function parseIsoTime(value: string): number {
  const m = ISO_8601_RE.exec(value);
  if (!m) return NaN;
  const n = (group: number): number => Number(m[group] ?? 0);
  const year = n(1);
  const month = n(2);
  const day = n(3);
  const hour = n(4);
  const minute = n(5);
  const second = n(6);
  const offsetHours = n(7);
  const offsetMinutes = n(8);
  const fields = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const exists =
    fields.getUTCFullYear() === year &&
    fields.getUTCMonth() === month - 1 &&
    fields.getUTCDate() === day &&
    fields.getUTCHours() === hour &&
    fields.getUTCMinutes() === minute &&
    fields.getUTCSeconds() === second &&
    offsetHours <= 23 &&
    offsetMinutes <= 59;
  return exists ? Date.parse(value) : NaN;
}

/**
 * Validates an order input (as received over the wire) and resolves its defaults. `options.legacy`: the rules of
 * orders started before the stricter ones (see {@link ValidationOptions}).
 */
export function validateOrderInput(input: unknown, now: number, options: ValidationOptions = {}): ValidationResult {
  const legacy = options.legacy === true;
  const mchidRe = legacy ? LEGACY_ID_RE : MCHID_RE;
  const mchidRule = legacy ? LEGACY_ID_RULE : MCHID_RULE;
  const appidRe = legacy ? LEGACY_ID_RE : APPID_RE;
  const appidRule = legacy ? LEGACY_ID_RULE : APPID_RULE;
  const issues: ValidationIssue[] = [];
  const fail = (field: string, problem: string): void => {
    issues.push({ field, problem });
  };
  if (!isPlainObject(input)) {
    return { ok: false, issues: [{ field: 'input', problem: `must be a JSON object, got ${describe(input)}` }] };
  }
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL_FIELDS.has(key)) fail(key, 'is not a known field');
  }

  const checkString = (field: string, value: unknown, re: RegExp, rule: string, required = true): value is string => {
    if (value === undefined && !required) return false;
    if (value === undefined || value === null) {
      fail(field, 'is required');
      return false;
    }
    if (typeof value !== 'string') {
      fail(field, `must be a string, got ${describe(value)}`);
      return false;
    }
    if (!re.test(value)) {
      fail(field, `must be ${rule}, got ${describe(value)}`);
      return false;
    }
    return true;
  };

  checkString('combineOutTradeNo', input.combineOutTradeNo, ORDER_NO_RE, ORDER_NO_RULE);
  checkString('combineAppid', input.combineAppid, appidRe, appidRule);

  const subOrders: SubOrderInput[] = [];
  const raw = input.subOrders;
  if (raw === undefined || raw === null) {
    fail('subOrders', 'is required');
  } else if (!Array.isArray(raw)) {
    fail('subOrders', `must be an array, got ${describe(raw)}`);
  } else if (raw.length < 1 || raw.length > MAX_SUB_ORDERS) {
    fail('subOrders', `must have 1-${MAX_SUB_ORDERS} items, got ${raw.length}`);
  } else {
    const seen = new Map<string, number>();
    raw.forEach((item: unknown, i) => {
      const at = `subOrders[${i}]`;
      if (!isPlainObject(item)) {
        fail(at, `must be an object, got ${describe(item)}`);
        return;
      }
      for (const key of Object.keys(item)) {
        if (!SUB_ORDER_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
      }
      const okMchid = checkString(`${at}.mchid`, item.mchid, mchidRe, mchidRule);
      const okNo = checkString(`${at}.outTradeNo`, item.outTradeNo, ORDER_NO_RE, ORDER_NO_RULE);
      const okSub = checkString(`${at}.subMchid`, item.subMchid, mchidRe, mchidRule);
      const hasAppid = item.subAppid !== undefined;
      const okAppid = !hasAppid || checkString(`${at}.subAppid`, item.subAppid, appidRe, appidRule, false);
      if (okNo) {
        const first = seen.get(item.outTradeNo as string);
        if (first !== undefined) fail(`${at}.outTradeNo`, `duplicates subOrders[${first}].outTradeNo`);
        else seen.set(item.outTradeNo as string, i);
      }
      if (okMchid && okNo && okSub && okAppid) {
        subOrders.push({
          mchid: item.mchid as string,
          outTradeNo: item.outTradeNo as string,
          subMchid: item.subMchid as string,
          ...(hasAppid ? { subAppid: item.subAppid as string } : {}),
        });
      }
    });
  }

  let paymentTimeoutMs = DEFAULT_PAYMENT_TIMEOUT_MS;
  if (input.paymentTimeout !== undefined) {
    const ms = parseDuration(input.paymentTimeout);
    if (ms === undefined) {
      fail(
        'paymentTimeout',
        `must be a duration such as "30m" or "90s", or milliseconds; got ${describe(input.paymentTimeout)}`,
      );
    } else if (ms <= 0 || ms > REVERSE_WINDOW_MS) {
      fail(
        'paymentTimeout',
        `must be more than 0 and at most ${formatDuration(REVERSE_WINDOW_MS)}, got ${describe(input.paymentTimeout)}`,
      );
    } else {
      paymentTimeoutMs = ms;
    }
  }

  let orderCreatedAt = now;
  if (input.orderCreatedAt !== undefined) {
    const value = input.orderCreatedAt;
    const parsed =
      typeof value !== 'string'
        ? NaN
        : legacy
          ? ISO_8601_RE.test(value)
            ? Date.parse(value)
            : NaN
          : parseIsoTime(value);
    if (typeof value !== 'string' || Number.isNaN(parsed)) {
      fail(
        'orderCreatedAt',
        `must be an ISO-8601 time with a zone that exists in the calendar, e.g. "2026-11-27T08:00:00Z"; got ${describe(value)}`,
      );
    } else if (parsed > now + MAX_CLOCK_SKEW_MS) {
      fail('orderCreatedAt', `is more than ${formatDuration(MAX_CLOCK_SKEW_MS)} in the future: ${value}`);
    } else if (parsed < now - REVERSE_WINDOW_MS) {
      fail(
        'orderCreatedAt',
        `is older than WeChat Pay's ${formatDuration(REVERSE_WINDOW_MS)} reverse window (${value}): reverse it by hand`,
      );
    } else {
      orderCreatedAt = parsed;
    }
  }

  let payWindowMs = DEFAULT_PAY_WINDOW_MS;
  if (input.payWindow !== undefined) {
    const ms = parseDuration(input.payWindow);
    if (ms === undefined || ms < 0 || ms > MAX_PAY_WINDOW_MS) {
      fail(
        'payWindow',
        `must be a duration from 0s to ${formatDuration(MAX_PAY_WINDOW_MS)} such as "75s", got ${describe(input.payWindow)}`,
      );
    } else {
      payWindowMs = ms;
    }
  }

  let onPaidAtDeadline: OnPaidAtDeadline = OnPaidAtDeadline.REFUND;
  if (input.onPaidAtDeadline !== undefined) {
    const value = input.onPaidAtDeadline;
    if (value === OnPaidAtDeadline.REFUND || value === OnPaidAtDeadline.ADOPT) onPaidAtDeadline = value;
    else fail('onPaidAtDeadline', `must be "REFUND" or "ADOPT", got ${describe(value)}`);
  }

  let reverseRetry = DEFAULT_REVERSE_RETRY;
  let compensationRetry = DEFAULT_COMPENSATION_RETRY;
  if (input.retryPolicy !== undefined) {
    const rp = input.retryPolicy;
    if (!isPlainObject(rp)) {
      fail('retryPolicy', `must be an object, got ${describe(rp)}`);
    } else {
      for (const key of Object.keys(rp)) {
        if (key !== 'reverse' && key !== 'compensation') fail(`retryPolicy.${key}`, 'is not a known field');
      }
      const wechatpayLimits = legacy ? LEGACY_RETRY_LIMITS : WECHATPAY_RETRY_LIMITS;
      reverseRetry = resolveRetry('retryPolicy.reverse', rp.reverse, DEFAULT_REVERSE_RETRY, wechatpayLimits, fail);
      compensationRetry = resolveRetry(
        'retryPolicy.compensation',
        rp.compensation,
        DEFAULT_COMPENSATION_RETRY,
        LEGACY_RETRY_LIMITS,
        fail,
      );
    }
  }

  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    spec: {
      combineOutTradeNo: input.combineOutTradeNo as string,
      combineAppid: input.combineAppid as string,
      subOrders,
      paymentTimeoutMs,
      orderCreatedAt,
      payWindowMs,
      onPaidAtDeadline,
      reverseRetry,
      compensationRetry,
    },
  };
}

function resolveRetry(
  at: string,
  value: unknown,
  defaults: ResolvedRetry,
  limits: RetryLimits,
  fail: (field: string, problem: string) => void,
): ResolvedRetry {
  if (value === undefined) return defaults;
  if (!isPlainObject(value)) {
    fail(at, `must be an object, got ${describe(value)}`);
    return defaults;
  }
  for (const key of Object.keys(value)) {
    if (!RETRY_FIELDS.has(key)) fail(`${at}.${key}`, 'is not a known field');
  }
  const duration = (key: string, fallback: number, { min, max }: { min: number; max: number }): number => {
    const raw = value[key];
    if (raw === undefined) return fallback;
    const ms = parseDuration(raw);
    if (ms === undefined || ms < min || ms > max) {
      fail(
        `${at}.${key}`,
        `must be a duration from ${formatDuration(min)} to ${formatDuration(max)}, got ${describe(raw)}`,
      );
      return fallback;
    }
    return ms;
  };
  const resolved: ResolvedRetry = {
    initialIntervalMs: duration('initialInterval', defaults.initialIntervalMs, limits.initialIntervalMs),
    backoffCoefficient: defaults.backoffCoefficient,
    maximumIntervalMs: duration('maximumInterval', defaults.maximumIntervalMs, limits.maximumIntervalMs),
    scheduleToCloseMs: duration('scheduleToClose', defaults.scheduleToCloseMs, limits.scheduleToCloseMs),
  };
  const coef = value.backoffCoefficient;
  const { min, max } = limits.backoffCoefficient;
  if (coef !== undefined) {
    if (typeof coef !== 'number' || !Number.isFinite(coef) || coef < min || coef > max) {
      fail(`${at}.backoffCoefficient`, `must be a number from ${min} to ${max}, got ${describe(coef)}`);
    } else {
      resolved.backoffCoefficient = coef;
    }
  }
  if (resolved.maximumIntervalMs < resolved.initialIntervalMs) {
    fail(`${at}.maximumInterval`, 'must not be shorter than initialInterval');
  }
  return resolved;
}

/** Formats issues as one line, e.g. `subOrders[1].outTradeNo duplicates subOrders[0].outTradeNo; combineAppid is required`. */
export function formatIssues(issues: ValidationIssue[]): string {
  return issues.map((i) => `${i.field} ${i.problem}`).join('; ');
}

/** Checks free-form message details: an object of known string fields, each at most 256 characters. */
function checkDetails(message: string, details: unknown, fields: readonly string[], example: string): void {
  if (details === undefined || details === null) return;
  if (typeof details !== 'object' || Array.isArray(details)) {
    throw new Error(`${message} details must be an object such as ${example}`);
  }
  for (const [key, value] of Object.entries(details)) {
    if (!fields.includes(key)) throw new Error(`${message} details.${key} is not a known field`);
    if (typeof value !== 'string' || value.length > 256) {
      throw new Error(`${message} details.${key} must be a string of at most 256 characters`);
    }
  }
}

/** Validates `markPaid` details; throws an Error naming the bad field (the Update's validator refuses it). */
export function checkMarkPaidDetails(details: unknown): void {
  checkDetails('markPaid', details, ['transactionId', 'source', 'note'], '{ "transactionId": "…", "source": "query" }');
}

/** Validates `beginPayment` details; throws an Error naming the bad field (the Update's validator refuses it). */
export function checkBeginPaymentDetails(details: unknown): void {
  checkDetails('beginPayment', details, ['attemptId', 'note'], '{ "attemptId": "…" }');
}
