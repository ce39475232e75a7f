/**
 * What the workflows and the activities exchange and nobody else sees: the activities' inputs and results that are not
 * part of the contract (`workflows/contract.ts`, what a checkout, an order service or an operator reads). Workflow code
 * imports these as types only.
 */
import type {
  BillMismatch,
  EarlierRun,
  QueriedSubOrder,
  QueryPurpose,
  ReverseOutcome,
  SubOrderInput,
  UnreadBillLine,
  WechatpayHost,
} from '../workflows/contract';

// ── The order lifecycle ──

/**
 * What the worker answers when an order enters REVERSING (a local activity, recorded in the history): its pay window
 * floor, and the earlier runs of the order's workflow id.
 */
export interface ReversingContext {
  /** The worker's pay window floor (`WECHATPAY_MIN_PAY_WINDOW`), in milliseconds. */
  payWindowFloorMs: number;
  /** Earlier closed runs of this workflow id, newest first (at most a few). */
  earlierRuns: EarlierRun[];
  /** One of the earlier runs that ended without an outcome scheduled a reverse (read from its history). */
  reverseSentByEarlierRun: boolean;
}

/** The query request (a signed GET of the combined order). */
export interface QueryRequest {
  combineOutTradeNo: string;
  /**
   * The order's sub-orders: a verified answer counts only if it lists exactly these (same `outTradeNo`, `mchid`,
   * `subMchid`), with the worker's merchant as `combine_mchid`.
   */
  subOrders: Pick<SubOrderInput, 'mchid' | 'outTradeNo' | 'subMchid'>[];
  /** Why the workflow asks. For logs. */
  purpose: QueryPurpose;
  /**
   * The `Wechatpay-Nonce` of every answer this order accepted so far: an answer carrying one of them is a replay,
   * refused like an unverifiable one (retried).
   */
  refuseNonces: string[];
}

/**
 * A query answer that is a fact: a verified, fresh 200 that is exactly the order, or a signed, verified and fresh "no
 * such order" (`ORDER_NOT_EXIST`) from the main host. Anything else is retried by the activity and never reaches the
 * workflow.
 */
export type QueryResult = ({ found: true; subOrders: QueriedSubOrder[] } | { found: false; code: string }) & {
  httpStatus: number;
  host: WechatpayHost;
  attempt: number;
  /** The answer's `Wechatpay-Nonce`: ties the decision to the very answer that was signed. */
  answerNonce?: string;
};

/** The reverse request the activity sends (no secrets: keys live in the worker). */
export interface ReverseRequest {
  combineOutTradeNo: string;
  combineAppid: string;
  subOrders: SubOrderInput[];
  /**
   * The `Wechatpay-Nonce` of every answer this order accepted so far: an answer carrying one of them is a replay,
   * refused like an unverifiable one (retried).
   */
  refuseNonces: string[];
}

/** An accepted reverse, as the activity reports it. */
export interface ReverseResult {
  outcome: ReverseOutcome;
  /** HTTP status of the accepted answer. */
  httpStatus: number;
  /** WeChat Pay's error code, for accepted error answers. */
  code?: string;
  /** Whether the answer carried a signature that verified (always true for an accepted answer). */
  verified: boolean;
  /** The activity attempt that got the answer. */
  attempt: number;
  /** Which host answered. */
  host: WechatpayHost;
  /** The accepted answer's `Wechatpay-Nonce`: ties the decision to the very answer that was signed. */
  answerNonce?: string;
}

/** A finished compensation. */
export interface CompensationResult {
  httpStatus: number;
  /** True when the downstream answered 409: it had already compensated this sub-order. */
  alreadyCompensated: boolean;
  attempt: number;
}

/** A delivered payment confirmation. */
export interface PaymentConfirmationResult {
  httpStatus: number;
  /** True when the downstream answered 409: it had already recorded this confirmation. */
  alreadyConfirmed: boolean;
  attempt: number;
}

// ── The trade-bill reconciliation ──

/** An order as the reconciliation sees it in visibility (search attributes and memo). */
export interface TradeBillOrder {
  workflowId: string;
  runId: string;
  combineOutTradeNo: string;
  /** `PaymentPhase` when it ended (or now, for a running order). */
  phase: string | undefined;
  /** The sub-orders' `out_trade_no` (`SubOutTradeNos`). */
  outTradeNos: string[];
  /** Each sub-order's `sub_mchid` by `out_trade_no` (the memo; empty for orders started before it existed). */
  subOrders: Record<string, string>;
  startedAt: number;
  closedAt?: number;
}

/** A bill row, as far as the reconciliation reads it. */
export interface TradeBillRowFacts {
  subMchid: string;
  outTradeNo: string;
  transactionId: string;
  tradeState: string;
  settlementFen: number;
}

/** What one secondary merchant's bill showed. */
export interface SubMerchantReconciliation {
  subMchid: string;
  /** `RECONCILED` (the bill was read), `EMPTY` (`NO_STATEMENT_EXIST`: no trades that day). */
  outcome: 'RECONCILED' | 'EMPTY';
  rows: number;
  ordersChecked: number;
  matched: number;
  /** Rows whose order has no outcome yet, or was resolved by a person: neither matched nor a mismatch. */
  unsettled: number;
  mismatches: BillMismatch[];
  unread: UnreadBillLine[];
}
