/**
 * The JSON Schema (draft 2020-12) of the order input, built from the validator's own rules (patterns, limits, field
 * lists), for checkouts in any language: `order-input.schema.json` in the package is this object, and a test keeps the
 * two equal and checks that the schema accepts no input the validator refuses for its shape. What a schema cannot say
 * (a duration's range, a real calendar date, `orderCreatedAt` not in the future, unique `outTradeNo`s, the pay window
 * floor) is left to the validator, which the client runs before every start.
 */
import { DURATION_RE } from './duration';
import { OnPaidAtDeadline } from './contract';
import { DOWNSTREAM_RETRY_LIMITS, WECHATPAY_RETRY_LIMITS, type RetryLimits } from './policies';
import { MCHID_RE } from './contract';
import { APPID_RE, ISO_8601_RE, MAX_SUB_ORDERS, ORDER_NO_RE, RUN_ID_RE } from './validation';

/** A duration: milliseconds, or a string such as "30m", "90s", "1h30m". */
const DURATION = {
  oneOf: [
    { type: 'integer', minimum: 0 },
    { type: 'string', maxLength: 32, pattern: `^(?:\\d+|${DURATION_RE.source.slice(1, -1)})$` },
  ],
} as const;

/** The retry overrides of one kind of call. */
function retrySchema(limits: RetryLimits, description: string): Record<string, unknown> {
  return {
    type: 'object',
    description,
    additionalProperties: false,
    properties: {
      initialInterval: { ...DURATION, description: 'first retry delay' },
      backoffCoefficient: {
        type: 'number',
        minimum: limits.backoffCoefficient.min,
        maximum: limits.backoffCoefficient.max,
      },
      maximumInterval: { ...DURATION, description: 'longest delay between attempts' },
      scheduleToClose: { ...DURATION, description: 'how long to retry before NEEDS_ATTENTION' },
    },
  };
}

/** The order input's JSON Schema (**contract**). */
export const ORDER_INPUT_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://combine-papay-timeout/order-input.schema.json',
  title: 'OrderInput',
  description: 'The input of combinePapayOrderWorkflow: one WeChat Pay combined withholding order.',
  type: 'object',
  additionalProperties: false,
  required: ['combineOutTradeNo', 'combineAppid', 'subOrders'],
  properties: {
    combineOutTradeNo: { type: 'string', pattern: ORDER_NO_RE.source, description: 'combine_out_trade_no' },
    combineAppid: { type: 'string', pattern: APPID_RE.source, description: 'combine_appid' },
    subOrders: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_SUB_ORDERS,
      description: 'the sub-orders; outTradeNo unique within the order',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['mchid', 'outTradeNo', 'subMchid'],
        properties: {
          mchid: { type: 'string', pattern: MCHID_RE.source },
          outTradeNo: { type: 'string', pattern: ORDER_NO_RE.source },
          subMchid: { type: 'string', pattern: MCHID_RE.source },
          subAppid: { type: 'string', pattern: APPID_RE.source },
        },
      },
    },
    paymentTimeout: { ...DURATION, description: 'time the payer has; default 30 minutes' },
    orderCreatedAt: { type: 'string', pattern: ISO_8601_RE.source, description: 'ISO-8601 with a zone' },
    payWindow: { ...DURATION, description: 'how long one pay call may still land; default 75s' },
    onPaidAtDeadline: { enum: Object.values(OnPaidAtDeadline), description: 'default REFUND' },
    retryPolicy: {
      type: 'object',
      additionalProperties: false,
      properties: {
        wechatpay: retrySchema(WECHATPAY_RETRY_LIMITS, 'the WeChat Pay calls (query and reverse)'),
        downstream: retrySchema(DOWNSTREAM_RETRY_LIMITS, 'compensation and payment confirmation'),
      },
    },
    restart: {
      type: 'object',
      description: "set by the client's restart of a run that ended without an outcome, never by a checkout",
      additionalProperties: false,
      required: ['previousRunId', 'reverseSent'],
      properties: {
        previousRunId: { type: 'string', pattern: RUN_ID_RE.source },
        reverseSent: { type: 'boolean' },
      },
    },
  },
} as const;
