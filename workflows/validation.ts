/**
 * Validation of the order input, shared by the client (before it starts a workflow) and the workflow (which fails
 * at once, non-retryably, on bad input). Pure and deterministic: `now` is passed in.
 */
import type { OrderSpec } from './types';
import {
  APPID_RE,
  APPID_RULE,
  FieldChecker,
  ORDER_NO_RE,
  ORDER_NO_RULE,
  checkOnPaidAtDeadline,
  checkOrderCreatedAt,
  checkPayWindow,
  checkPaymentTimeout,
  checkRetryPolicy,
  checkSubOrders,
  describe,
  isPlainObject,
} from './validation-fields';

export { APPID_RE, MAX_SUB_ORDERS, MCHID_RE, ORDER_NO_RE, parseIsoTime } from './validation-fields';

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
