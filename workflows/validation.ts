/**
 * Validation of the order input, shared by the client (before it starts a workflow) and the workflow (which fails
 * at once, non-retryably, on bad input): the field rules, one function per field, each recording what is wrong in a
 * {@link FieldChecker} and answering the field's resolved value, and the checks of the messages' details. Pure and
 * deterministic: `now` is passed in.
 */
import { MCHID_RE, OnPaidAtDeadline, type OrderSpec, type ResolvedRetry, type RestartOf, type SubOrderInput } from './contract';
import { formatDuration, parseDuration } from './duration';
import {
  DEFAULT_DOWNSTREAM_RETRY,
  DEFAULT_PAYMENT_TIMEOUT_MS,
  DEFAULT_PAY_WINDOW_MS,
  DEFAULT_WECHATPAY_RETRY,
  DOWNSTREAM_RETRY_LIMITS,
  MAX_CLOCK_SKEW_MS,
  MAX_PAY_WINDOW_MS,
  REVERSE_WINDOW_MS,
  WECHATPAY_RETRY_LIMITS,
  type RetryLimits,
} from './policies';

/** One broken rule: the field's path (e.g. `subOrders[2].outTradeNo`) and what is wrong with it. */
export interface ValidationIssue {
  field: string;
  problem: string;
}

/** The validator's answer. */
export type ValidationResult = { ok: true; spec: OrderSpec } | { ok: false; issues: ValidationIssue[] };

/** Options of {@link validateOrderInput}. */
export interface ValidationOptions {
  /**
   * The shortest `payWindow` accepted, in milliseconds: the client passes the pay window floor
   * (`WECHATPAY_MIN_PAY_WINDOW`) so that a checkout learns at once; the workflow passes none and waits the floor.
   */
  minPayWindowMs?: number;
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
  'restart',
]);
/** Validates an order input (as received over the wire) and resolves its defaults (see {@link ValidationOptions}). */
export function validateOrderInput(input: unknown, now: number, options: ValidationOptions = {}): ValidationResult {
  if (!isPlainObject(input)) {
    return { ok: false, issues: [{ field: 'input', problem: `must be a JSON object, got ${describe(input)}` }] };
  }
  const c = new FieldChecker();
  for (const key of Object.keys(input)) {
    if (!TOP_LEVEL_FIELDS.has(key)) c.fail(key, 'is not a known field');
  }
  c.string('combineOutTradeNo', input.combineOutTradeNo, ORDER_NO_RE, ORDER_NO_RULE);
  c.string('combineAppid', input.combineAppid, APPID_RE, APPID_RULE);
  const subOrders = checkSubOrders(c, input);
  const paymentTimeoutMs = checkPaymentTimeout(c, input);
  const orderCreatedAt = checkOrderCreatedAt(c, input, now);
  const payWindowMs = checkPayWindow(c, input, options.minPayWindowMs);
  const onPaidAtDeadline = checkOnPaidAtDeadline(c, input);
  const { wechatpayRetry, downstreamRetry } = checkRetryPolicy(c, input);
  const restart = checkRestart(c, input);

  if (c.issues.length > 0) return { ok: false, issues: c.issues };
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
      wechatpayRetry,
      downstreamRetry,
      ...(restart ? { restart } : {}),
    },
  };
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

/** Most sub-orders a combined order may have. */
export const MAX_SUB_ORDERS = 50;
/** Order numbers: 1–32 of digits, letters and `_ - | * @`. */
export const ORDER_NO_RE = /^[0-9A-Za-z_\-|*@]{1,32}$/;
/** App ids (`combineAppid`, `subAppid`): 1–32 of digits, letters, `_` and `-` (e.g. `wxd678efh567hg6787`). */
export const APPID_RE = /^[0-9A-Za-z_-]{1,32}$/;
/** How {@link ORDER_NO_RE} reads in a message. */
const ORDER_NO_RULE = '1-32 characters of 0-9 A-Z a-z _ - | * @';
/** How {@link MCHID_RE} reads in a message. */
const MCHID_RULE = '1-32 digits';
/** How {@link APPID_RE} reads in a message. */
const APPID_RULE = '1-32 characters of 0-9 A-Z a-z _ -';
/** ISO-8601 with a zone; the captures are checked against the calendar (see {@link parseIsoTime}). */
export const ISO_8601_RE =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))$/;

const SUB_ORDER_FIELDS = new Set(['mchid', 'outTradeNo', 'subMchid', 'subAppid']);
const RETRY_FIELDS = new Set(['initialInterval', 'backoffCoefficient', 'maximumInterval', 'scheduleToClose']);

/** Whether `value` is a plain (non-array, non-null) object. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a bad value for a message (long strings by their length only). */
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

/** Collects the issues of one validation. */
class FieldChecker {
  /** The broken rules found so far, in the order found. */
  readonly issues: ValidationIssue[] = [];

  /** Records one broken rule. */
  readonly fail = (field: string, problem: string): void => {
    this.issues.push({ field, problem });
  };

  /** Checks a string field against `re` (described by `rule`); records why not and answers false if it fails. */
  string(field: string, value: unknown, re: RegExp, rule: string, required = true): value is string {
    if (value === undefined && !required) return false;
    if (value === undefined || value === null) {
      this.fail(field, 'is required');
      return false;
    }
    if (typeof value !== 'string') {
      this.fail(field, `must be a string, got ${describe(value)}`);
      return false;
    }
    if (!re.test(value)) {
      this.fail(field, `must be ${rule}, got ${describe(value)}`);
      return false;
    }
    return true;
  }
}

/** The sub-orders (`subOrders`): each checked, order numbers unique; the valid ones. */
function checkSubOrders(c: FieldChecker, input: Record<string, unknown>): SubOrderInput[] {
  const subOrders: SubOrderInput[] = [];
  const raw = input.subOrders;
  if (raw === undefined || raw === null) {
    c.fail('subOrders', 'is required');
  } else if (!Array.isArray(raw)) {
    c.fail('subOrders', `must be an array, got ${describe(raw)}`);
  } else if (raw.length < 1 || raw.length > MAX_SUB_ORDERS) {
    c.fail('subOrders', `must have 1-${MAX_SUB_ORDERS} items, got ${raw.length}`);
  } else {
    const seen = new Map<string, number>();
    raw.forEach((item: unknown, i) => {
      const at = `subOrders[${i}]`;
      if (!isPlainObject(item)) {
        c.fail(at, `must be an object, got ${describe(item)}`);
        return;
      }
      for (const key of Object.keys(item)) {
        if (!SUB_ORDER_FIELDS.has(key)) c.fail(`${at}.${key}`, 'is not a known field');
      }
      const okMchid = c.string(`${at}.mchid`, item.mchid, MCHID_RE, MCHID_RULE);
      const okNo = c.string(`${at}.outTradeNo`, item.outTradeNo, ORDER_NO_RE, ORDER_NO_RULE);
      const okSub = c.string(`${at}.subMchid`, item.subMchid, MCHID_RE, MCHID_RULE);
      const hasAppid = item.subAppid !== undefined;
      const okAppid = !hasAppid || c.string(`${at}.subAppid`, item.subAppid, APPID_RE, APPID_RULE, false);
      if (okNo) {
        const first = seen.get(item.outTradeNo as string);
        if (first !== undefined) c.fail(`${at}.outTradeNo`, `duplicates subOrders[${first}].outTradeNo`);
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
  return subOrders;
}

/** `paymentTimeout` in milliseconds (default {@link DEFAULT_PAYMENT_TIMEOUT_MS}). */
function checkPaymentTimeout(c: FieldChecker, input: Record<string, unknown>): number {
  let paymentTimeoutMs = DEFAULT_PAYMENT_TIMEOUT_MS;
  if (input.paymentTimeout !== undefined) {
    const ms = parseDuration(input.paymentTimeout);
    if (ms === undefined) {
      c.fail(
        'paymentTimeout',
        `must be a duration such as "30m" or "90s", or milliseconds; got ${describe(input.paymentTimeout)}`,
      );
    } else if (ms <= 0 || ms > REVERSE_WINDOW_MS) {
      c.fail(
        'paymentTimeout',
        `must be more than 0 and at most ${formatDuration(REVERSE_WINDOW_MS)}, got ${describe(input.paymentTimeout)}`,
      );
    } else {
      paymentTimeoutMs = ms;
    }
  }
  return paymentTimeoutMs;
}

/** `orderCreatedAt` as epoch milliseconds (default `now`). */
function checkOrderCreatedAt(c: FieldChecker, input: Record<string, unknown>, now: number): number {
  let orderCreatedAt = now;
  if (input.orderCreatedAt !== undefined) {
    const value = input.orderCreatedAt;
    const parsed = typeof value !== 'string' ? NaN : parseIsoTime(value);
    if (typeof value !== 'string' || Number.isNaN(parsed)) {
      c.fail(
        'orderCreatedAt',
        `must be an ISO-8601 time with a zone that exists in the calendar, e.g. "2026-11-27T08:00:00Z"; got ${describe(value)}`,
      );
    } else if (parsed > now + MAX_CLOCK_SKEW_MS) {
      c.fail('orderCreatedAt', `is more than ${formatDuration(MAX_CLOCK_SKEW_MS)} in the future: ${value}`);
    } else if (parsed < now - REVERSE_WINDOW_MS) {
      c.fail(
        'orderCreatedAt',
        `is older than WeChat Pay's ${formatDuration(REVERSE_WINDOW_MS)} reverse window (${value}): reverse it by hand`,
      );
    } else {
      orderCreatedAt = parsed;
    }
  }
  return orderCreatedAt;
}

/**
 * `payWindow` in milliseconds (default {@link DEFAULT_PAY_WINDOW_MS}). With `floorMs` (the client passes the worker's
 * `WECHATPAY_MIN_PAY_WINDOW`) a shorter window is refused; the workflow passes none: a raw start with a shorter window
 * waits the floor instead.
 */
function checkPayWindow(c: FieldChecker, input: Record<string, unknown>, floorMs = 0): number {
  let payWindowMs = DEFAULT_PAY_WINDOW_MS;
  if (input.payWindow !== undefined) {
    const ms = parseDuration(input.payWindow);
    if (ms === undefined || ms < 0 || ms > MAX_PAY_WINDOW_MS) {
      c.fail(
        'payWindow',
        `must be a duration from 0s to ${formatDuration(MAX_PAY_WINDOW_MS)} such as "75s", got ${describe(input.payWindow)}`,
      );
    } else if (ms < floorMs) {
      c.fail(
        'payWindow',
        `must be at least the pay window floor ${formatDuration(floorMs)} (WECHATPAY_MIN_PAY_WINDOW: a pay call may still land that long after it was sent), got ${describe(input.payWindow)}`,
      );
    } else {
      payWindowMs = ms;
    }
  }
  return payWindowMs;
}

/** `onPaidAtDeadline` (default REFUND). */
function checkOnPaidAtDeadline(c: FieldChecker, input: Record<string, unknown>): OnPaidAtDeadline {
  let onPaidAtDeadline: OnPaidAtDeadline = OnPaidAtDeadline.REFUND;
  if (input.onPaidAtDeadline !== undefined) {
    const value = input.onPaidAtDeadline;
    if (value === OnPaidAtDeadline.REFUND || value === OnPaidAtDeadline.ADOPT) onPaidAtDeadline = value;
    else c.fail('onPaidAtDeadline', `must be "REFUND" or "ADOPT", got ${describe(value)}`);
  }
  return onPaidAtDeadline;
}

/** Run ids as Temporal issues them (UUIDs) and as a test may write them: 1-64 of 0-9 A-Z a-z and `-`. */
export const RUN_ID_RE = /^[0-9A-Za-z-]{1,64}$/;

/** `restart` (set by the client's restart of an ended run): `{ previousRunId, reverseSent }`, or undefined. */
function checkRestart(c: FieldChecker, input: Record<string, unknown>): RestartOf | undefined {
  const raw = input.restart;
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    c.fail('restart', `must be an object { previousRunId, reverseSent }, got ${describe(raw)}`);
    return undefined;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'previousRunId' && key !== 'reverseSent') c.fail(`restart.${key}`, 'is not a known field');
  }
  const okRun = c.string('restart.previousRunId', raw.previousRunId, RUN_ID_RE, '1-64 characters of 0-9 A-Z a-z -');
  if (typeof raw.reverseSent !== 'boolean') {
    c.fail('restart.reverseSent', `must be true or false, got ${describe(raw.reverseSent)}`);
    return undefined;
  }
  return okRun ? { previousRunId: raw.previousRunId as string, reverseSent: raw.reverseSent } : undefined;
}

/**
 * `retryPolicy`: the resolved retries of the WeChat Pay calls (`wechatpay`: query and reverse) and of the downstream
 * calls (`downstream`: compensation and payment confirmation), defaults where not given.
 */
function checkRetryPolicy(
  c: FieldChecker,
  input: Record<string, unknown>,
): { wechatpayRetry: ResolvedRetry; downstreamRetry: ResolvedRetry } {
  let wechatpayRetry = DEFAULT_WECHATPAY_RETRY;
  let downstreamRetry = DEFAULT_DOWNSTREAM_RETRY;
  if (input.retryPolicy !== undefined) {
    const rp = input.retryPolicy;
    if (!isPlainObject(rp)) {
      c.fail('retryPolicy', `must be an object, got ${describe(rp)}`);
    } else {
      for (const key of Object.keys(rp)) {
        if (key !== 'wechatpay' && key !== 'downstream') c.fail(`retryPolicy.${key}`, 'is not a known field');
      }
      wechatpayRetry = resolveRetry(
        'retryPolicy.wechatpay',
        rp.wechatpay,
        DEFAULT_WECHATPAY_RETRY,
        WECHATPAY_RETRY_LIMITS,
        c.fail,
      );
      downstreamRetry = resolveRetry(
        'retryPolicy.downstream',
        rp.downstream,
        DEFAULT_DOWNSTREAM_RETRY,
        DOWNSTREAM_RETRY_LIMITS,
        c.fail,
      );
    }
  }
  return { wechatpayRetry, downstreamRetry };
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
