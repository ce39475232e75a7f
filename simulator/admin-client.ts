/** Calls to the simulator's admin API shared by the tests, the chaos run and the benchmark. */
import type { SubOrderInput } from '../workflows/contract';
import type { PeerLogEntry } from './wechatpay/log';
import type { LatePay, LatePayTrigger, PayScript, SimOrder, TradeState } from './wechatpay/orders';
import type { PeerSettings } from './wechatpay/settings';

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
