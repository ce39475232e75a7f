/** Calls to the simulator's admin API shared by the tests, the chaos run and the benchmark. */
import type { SubOrderInput } from '../../workflows/contract';
import type { PeerLogEntry } from './wechatpay/log';
import type { LatePay, LatePayTrigger, PayScript, SimOrder, TradeState } from './wechatpay/orders';
import type { PeerSettings } from './wechatpay/settings';
import type { FaultRule } from './fault-book';
import type { FaultKind } from './wechatpay/fault-table';
import type { LedgerDrop, LedgerRow } from './wechatpay/ledger';
import type { Route } from './wechatpay/routes';

/**
 * An order as the admin API needs it (the fields of the workflow's input that WeChat Pay knows), optionally with the
 * merchant the query answers as `combine_mchid` (default: the simulator identity's).
 */
export interface PeerOrderInput {
  combineOutTradeNo: string;
  combineAppid: string;
  combineMchid?: string;
  subOrders: SubOrderInput[];
}

/** Per-sub-order states by `outTradeNo`, overriding the order's state for those sub-orders. */
export type SubStates = Readonly<Record<string, TradeState>>;

function orderBody(input: PeerOrderInput): Record<string, unknown> {
  return {
    combine_out_trade_no: input.combineOutTradeNo,
    combine_appid: input.combineAppid,
    ...(input.combineMchid !== undefined ? { combine_mchid: input.combineMchid } : {}),
    sub_orders: input.subOrders.map((s) => ({
      mchid: s.mchid,
      out_trade_no: s.outTradeNo,
      sub_mchid: s.subMchid,
      ...(s.subAppid !== undefined ? { sub_appid: s.subAppid } : {}),
    })),
  };
}

async function post<T>(url: string, body: Record<string, unknown>, what: string, ok: number[]): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!ok.includes(res.status)) throw new Error(`${what} failed: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

/**
 * Registers an order at the peer as a pay call would have left it (e.g. PAYING: outcome unknown, queried as
 * USERPAYING; SUCCESS: debited; NOTPAY, ACCEPT, PAYERROR, CLOSED, REVOKED, REFUND), optionally with per-sub-order
 * states that the query answers instead.
 *
 * @param peerUrl - the peer's base URL, ending in `/`
 * @param input - the order
 * @param state - every sub-order's state, unless `subStates` names it
 * @param subStates - overrides by `outTradeNo` (must name sub-orders of `input`)
 */
export async function seedOrder(
  peerUrl: string,
  input: PeerOrderInput,
  state: TradeState = 'PAYING',
  subStates?: SubStates,
): Promise<void> {
  await post<SimOrder>(
    `${peerUrl}__admin/orders`,
    { ...orderBody(input), state, ...(subStates ? { sub_states: subStates } : {}) },
    `seeding ${input.combineOutTradeNo}`,
    [201],
  );
}

/**
 * Schedules a pay that lands late: the next time the peer answers a signed "no such order" (ORDER_NOT_EXIST) to a
 * reverse (`REVERSE_NOT_FOUND`) or to a query (`QUERY_NOT_FOUND`) for this order, the debit lands right after that
 * answer: the order then exists, SUCCESS, with transaction ids (the log entry's `effect` has `latePay: true`).
 * Refused (409) when the order already exists.
 */
export async function scheduleLatePay(peerUrl: string, input: PeerOrderInput, after: LatePayTrigger): Promise<LatePay> {
  return post<LatePay>(
    `${peerUrl}__admin/late-pay`,
    { ...orderBody(input), after },
    `scheduling a late pay for ${input.combineOutTradeNo}`,
    [201],
  );
}

/** Lands a debit now: the order becomes SUCCESS (every sub-order, new transaction ids), created if missing. */
export async function landPay(peerUrl: string, input: PeerOrderInput): Promise<SimOrder> {
  return post<SimOrder>(
    `${peerUrl}__admin/orders/${encodeURIComponent(input.combineOutTradeNo)}/pay`,
    orderBody(input),
    `landing a pay for ${input.combineOutTradeNo}`,
    [200, 201],
  );
}

/**
 * Sets an existing order's states directly: `state` for every sub-order, except those `subStates` names (without
 * `subStates`, earlier overrides are cleared).
 */
export async function setOrderState(
  peerUrl: string,
  combineOutTradeNo: string,
  state: TradeState,
  subStates?: SubStates,
): Promise<SimOrder> {
  return post<SimOrder>(
    `${peerUrl}__admin/orders/${encodeURIComponent(combineOutTradeNo)}/state`,
    { state, ...(subStates ? { sub_states: subStates } : {}) },
    `setting the state of ${combineOutTradeNo}`,
    [200],
  );
}

/**
 * Scripts the next pay call for an order number: `SUCCESS`, `FAIL`, `HANG`, or `{ outcome: 'LAND_LATE', landAfterMs }`
 * (the order is registered PAYING and queried USERPAYING, the answer is held for the peer's `payHangMs`, and the debit
 * lands by itself `landAfterMs` after the call arrived unless a reverse got there first; the peer's log then has an
 * entry with `landing: { payCall, outcome: 'LANDED' | 'PREVENTED', found? }`).
 */
export async function scriptPay(peerUrl: string, combineOutTradeNo: string, script: PayScript): Promise<void> {
  const body = typeof script === 'string' ? { outcome: script } : script;
  await post<unknown>(
    `${peerUrl}__admin/pay-script`,
    { combine_out_trade_no: combineOutTradeNo, ...body },
    `scripting the pay of ${combineOutTradeNo}`,
    [200],
  );
}

/**
 * Changes some of the peer's settings (e.g. `{ refundLagMs: 2_000 }`, `{ repeatReversePolicy: 'INVALID_REQUEST' }`);
 * an invalid field is refused naming it, and then nothing changes. Resolves with the settings now in force.
 */
export async function changePeerSettings(peerUrl: string, settings: Partial<PeerSettings>): Promise<PeerSettings> {
  return post<PeerSettings>(`${peerUrl}__admin/settings`, { ...settings }, 'changing the peer settings', [200]);
}

/**
 * The peer's request log (`GET /__admin/requests`), optionally only one order's entries: each with its `fault`,
 * `answerNonce`, `replayOf` (replays) or `landing` (a LAND_LATE debit coming due).
 */
export async function peerRequests(peerUrl: string, combineOutTradeNo?: string): Promise<PeerLogEntry[]> {
  const query = combineOutTradeNo === undefined ? '' : `?orderNo=${encodeURIComponent(combineOutTradeNo)}`;
  const res = await fetch(`${peerUrl}__admin/requests${query}`);
  if (res.status !== 200) throw new Error(`reading the peer's requests failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as PeerLogEntry[];
}

/**
 * The peer's ledger (`GET /__admin/ledger`): every money movement it performed (or had planted), each with its
 * Beijing `billDate`; optionally only one sub-merchant's, or one day's.
 */
export async function peerLedger(
  peerUrl: string,
  filter: { subMchid?: string; billDate?: string } = {},
): Promise<LedgerRow[]> {
  const query = new URLSearchParams(
    Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'),
  ).toString();
  const res = await fetch(`${peerUrl}__admin/ledger${query ? `?${query}` : ''}`);
  if (res.status !== 200) throw new Error(`reading the peer's ledger failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as LedgerRow[];
}

/**
 * A row to plant in the ledger: a money movement no order made. When it moved: `at` (ISO), else noon Beijing time of
 * `billDate`, else now (the peer's clock). Defaults: `mchid` the peer's merchant, a new `transactionId`, the amount
 * the peer derives from `outTradeNo`, refund numbers for a REVOKED or REFUND row.
 */
export interface PlantedRowInput {
  tradeState: LedgerRow['tradeState'];
  subMchid: string;
  outTradeNo: string;
  at?: string;
  billDate?: string;
  mchid?: string;
  transactionId?: string;
  amountFen?: number;
  outRefundNo?: string;
  refundId?: string;
  appid?: string;
  combineOutTradeNo?: string;
}

/**
 * Plants a ledger row (`POST /__admin/ledger`), e.g. a debit of a sub-order no order knows (the bill then shows money
 * taken that nothing tracks: `PAID_WITHOUT_ORDER`). Resolves with the row as booked (a row with the same state,
 * `subMchid` and `outTradeNo` is replaced).
 */
export async function plantLedgerRow(peerUrl: string, row: PlantedRowInput): Promise<LedgerRow> {
  return post<LedgerRow>(`${peerUrl}__admin/ledger`, { ...row }, `planting a ${row.tradeState} row`, [201]);
}

/**
 * Drops ledger rows (`POST /__admin/ledger/drop`): every row with this `tradeState` and `outTradeNo` (and `subMchid`,
 * `billDate` when given), e.g. a paid order's debit (`ADOPTED_NOT_IN_BILL`) or a reversed sub-order's REVOKED row
 * (`PAID_BUT_COMPENSATED`). Resolves with the rows dropped.
 */
export async function dropLedgerRows(peerUrl: string, which: LedgerDrop): Promise<LedgerRow[]> {
  const answer = await post<{ dropped: LedgerRow[] }>(
    `${peerUrl}__admin/ledger/drop`,
    { ...which },
    `dropping ${which.tradeState} rows of ${which.outTradeNo}`,
    [200],
  );
  return answer.dropped;
}

/** The trade bill's faults, and the route each acts on. */
const BILL_FAULT_ROUTES = {
  BILL_NOT_READY: 'tradeBill',
  BILL_APPLY_UNSIGNED: 'tradeBill',
  BILL_URL_EXPIRED: 'billDownload',
  BILL_CORRUPT: 'billDownload',
} as const satisfies Partial<Record<FaultKind, Route>>;
/** One of the trade bill's faults. */
type BillFaultKind = keyof typeof BILL_FAULT_ROUTES;

/**
 * A trade bill fault rule: `count` (the next N matching calls) or `probability`; for one sub-merchant (`subMchid`),
 * or one of its days (`subMchid` and `billDate`), else any bill.
 */
export interface BillFaultInput {
  kind: BillFaultKind;
  count?: number;
  probability?: number;
  subMchid?: string;
  billDate?: string;
}

/**
 * Adds a trade bill fault (`POST /__admin/faults`, on the kind's route: `BILL_NOT_READY` and `BILL_APPLY_UNSIGNED` on
 * the apply, `BILL_URL_EXPIRED` and `BILL_CORRUPT` on the download). Resolves with the rule.
 */
export async function addBillFault(peerUrl: string, fault: BillFaultInput): Promise<FaultRule<FaultKind, Route>> {
  if (fault.billDate !== undefined && fault.subMchid === undefined) {
    throw new Error('a bill fault for a billDate needs its subMchid');
  }
  const orderNo = fault.subMchid === undefined ? undefined : [fault.subMchid, fault.billDate].filter(Boolean).join(':');
  return post<FaultRule<FaultKind, Route>>(
    `${peerUrl}__admin/faults`,
    {
      route: BILL_FAULT_ROUTES[fault.kind],
      kind: fault.kind,
      ...(fault.count !== undefined ? { count: fault.count } : {}),
      ...(fault.probability !== undefined ? { probability: fault.probability } : {}),
      ...(orderNo !== undefined ? { orderNo } : {}),
    },
    `adding the bill fault ${fault.kind}`,
    [201],
  );
}
