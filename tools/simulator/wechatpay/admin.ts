/**
 * The WeChat Pay peer's admin API (plain JSON, unsigned, under `/__admin`), for tests, the chaos run, the demo and
 * the benchmark. Validation errors answer 400 `{ error }` naming the field; an unknown order answers 404.
 *
 * | route | what |
 * |---|---|
 * | `GET /__admin/requests[?orderNo=]` | the request log ({@link PeerLogEntry}) |
 * | `GET /__admin/orders`, `GET /__admin/orders/{no}` | orders |
 * | `POST /__admin/orders` | seed `{ combine_out_trade_no, combine_appid, combine_mchid?, sub_orders, state?, sub_states? }` (201) |
 * | `POST /__admin/orders/{no}/pay` | a debit lands now: SUCCESS (creates the order from a seeding body if missing) |
 * | `POST /__admin/orders/{no}/state` | `{ state, sub_states? }`: set the states directly |
 * | `POST /__admin/late-pay` | `{ combine_out_trade_no, combine_appid, sub_orders, after }` (201); `GET` lists them |
 * | `POST`/`GET`/`DELETE /__admin/faults` | add a rule / list rules and counts / remove every rule |
 * | `POST /__admin/settings` | `{ repeatReversePolicy?, signWith?, delayMs?, payHangMs?, refundLagMs?, clockOffsetMs? }` (see {@link PeerSettings}) |
 * | `POST /__admin/pay-script` | `{ combine_out_trade_no, outcome: SUCCESS \| FAIL \| HANG \| LAND_LATE, landAfterMs? }` |
 * | `GET /__admin/identity` | ids and serials (no key material) |
 * | `GET /__admin/ledger[?subMchid=&billDate=]` | the ledger's rows ({@link LedgerRow}) |
 * | `POST /__admin/ledger` | plant a row `{ tradeState, subMchid, outTradeNo, at?, mchid?, transactionId?, amountFen?, … }` (201) |
 * | `POST /__admin/ledger/drop` | `{ tradeState, outTradeNo, subMchid?, billDate? }`: drop rows; answers `{ dropped }` |
 */
import type http from 'node:http';
import { readBody, type FaultBook } from '../fault-book';
import { sendJson } from '../http-server';
import type { SimulatorIdentity } from '../keys';
import type { FaultKind } from './fault-table';
import type { PeerLogEntry } from './log';
import {
  checkOrderFields,
  checkOrderNo,
  checkSubStates,
  checkTradeState,
  landDebit,
  LATE_PAY_TRIGGERS,
  newOrder,
  PAY_OUTCOMES,
  safeJson,
  setStates,
  type LatePay,
  type LatePayTrigger,
  type OrderBook,
  type PayOutcome,
  type SimOrder,
} from './orders';
import type { Route } from './routes';
import { changeSettings, peerNowMs, type PeerSettings } from './settings';
import { bookMoves, checkDrop, moneyState, plantRow, type Ledger, type MoveCause } from './ledger';

/** What the admin API reads and changes: the running peer's state. */
export interface PeerAdminContext extends OrderBook {
  identity: SimulatorIdentity;
  settings: PeerSettings;
  faults: FaultBook<FaultKind, Route>;
  log: PeerLogEntry[];
  ledger: Ledger;
}

/** An admin error with its HTTP status. */
class AdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Answers one `/__admin/…` request. */
export async function handleAdmin(
  ctx: PeerAdminContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): Promise<void> {
  const u = new URL(req.url ?? '/', 'http://localhost');
  const method = req.method ?? 'GET';
  try {
    const body = method === 'POST' ? await jsonBody(req) : {};
    const [status, payload] = route(ctx, method, u, body);
    return sendJson(res, status, payload);
  } catch (err) {
    return sendJson(res, err instanceof AdminError ? err.status : 400, { error: (err as Error).message });
  }
}

/** An admin answer: status and JSON payload. */
type Answer = [number, unknown];

function route(ctx: PeerAdminContext, method: string, u: URL, body: Record<string, unknown>): Answer {
  const { orders, faults, latePays } = ctx;
  const p = u.pathname;
  const one = /^\/__admin\/orders\/([^/]+)(?:\/(pay|state))?$/.exec(p);
  const answer = one ? orderRoute(ctx, method, decodeURIComponent(one[1]!), one[2], body) : undefined;
  if (answer) return answer;
  switch (`${method} ${p}`) {
    case 'GET /__admin/requests': {
      const no = u.searchParams.get('orderNo');
      return [200, no ? ctx.log.filter((e) => e.orderNo === no) : ctx.log];
    }
    case 'GET /__admin/orders':
      return [200, [...orders.values()]];
    case 'POST /__admin/orders': {
      const fields = orderFields(ctx, body);
      const state = checkTradeState(body.state ?? 'PAYING', 'state');
      const order = newOrder(fields, state, checkSubStates(body.sub_states, fields.subOrders));
      orders.set(order.combineOutTradeNo, order);
      booked(ctx, order, undefined);
      return [201, order];
    }
    case 'GET /__admin/ledger': {
      const sub = u.searchParams.get('subMchid');
      const day = u.searchParams.get('billDate');
      const rows = ctx.ledger.all().filter((r) => (!sub || r.subMchid === sub) && (!day || r.billDate === day));
      return [200, rows];
    }
    case 'POST /__admin/ledger':
      return [201, ctx.ledger.book(plantRow(body, ctx.identity.mchid, peerNowMs(ctx.settings)))];
    case 'POST /__admin/ledger/drop':
      return [200, { dropped: ctx.ledger.drop(checkDrop(body)) }];
    case 'POST /__admin/late-pay':
      return [201, scheduleLatePay(ctx, body)];
    case 'GET /__admin/late-pay':
      return [200, [...latePays.values()]];
    case 'POST /__admin/faults':
      return [201, faults.add(body)];
    case 'GET /__admin/faults':
      return [200, { rules: faults.list(), injected: Object.fromEntries(faults.injected) }];
    case 'DELETE /__admin/faults':
      faults.clear();
      return [200, {}];
    case 'POST /__admin/settings':
      return [200, changeSettings(ctx.settings, body)];
    case 'POST /__admin/pay-script':
      scriptPay(ctx, body);
      return [200, {}];
    case 'GET /__admin/identity':
      return [200, identityOf(ctx)];
    default:
      throw new AdminError(404, `no such admin route: ${method} ${p}`);
  }
}

/** `GET /__admin/orders/{no}`, `POST …/{no}/pay` and `POST …/{no}/state`; undefined for any other method. */
function orderRoute(
  ctx: PeerAdminContext,
  method: string,
  no: string,
  action: string | undefined,
  body: Record<string, unknown>,
): Answer | undefined {
  const { orders } = ctx;
  if (!action && method === 'GET') {
    const order = orders.get(no);
    if (!order) throw new AdminError(404, `no such order ${no}`);
    return [200, order];
  }
  if (action === 'pay' && method === 'POST') return landPayNow(ctx, no, body);
  if (action === 'state' && method === 'POST') {
    const order = orders.get(no);
    if (!order) throw new AdminError(404, `no such order ${no}: seed it first (POST /__admin/orders)`);
    const state = checkTradeState(body.state, 'state');
    const before = moneyState(order);
    setStates(order, state, checkSubStates(body.sub_states, order.subOrders));
    booked(ctx, order, before);
    return [200, order];
  }
  return undefined;
}

/** Schedules a late pay for an order that does not exist yet. */
function scheduleLatePay(ctx: PeerAdminContext, body: Record<string, unknown>): LatePay {
  const fields = orderFields(ctx, body);
  const after = body.after;
  if (typeof after !== 'string' || !(LATE_PAY_TRIGGERS as readonly string[]).includes(after)) {
    throw new Error(`after must be one of ${LATE_PAY_TRIGGERS.join(', ')}`);
  }
  if (ctx.orders.has(fields.combineOutTradeNo)) {
    throw new AdminError(
      409,
      `order ${fields.combineOutTradeNo} already exists: a late pay lands only after a "no such order" answer ` +
        '(use POST /__admin/orders/{no}/pay to land a debit now)',
    );
  }
  const late: LatePay = { ...fields, after: after as LatePayTrigger, scheduledAt: new Date().toISOString() };
  ctx.latePays.set(late.combineOutTradeNo, late);
  return late;
}

/** Scripts the outcome of the pay call for an order number (`landAfterMs` with `LAND_LATE`, and only then). */
function scriptPay(ctx: PeerAdminContext, body: Record<string, unknown>): void {
  const no = checkOrderNo(body.combine_out_trade_no);
  const { outcome, landAfterMs } = body;
  if (typeof outcome !== 'string' || !(PAY_OUTCOMES as readonly string[]).includes(outcome)) {
    throw new Error(`outcome must be one of ${PAY_OUTCOMES.join(', ')}`);
  }
  if (outcome !== 'LAND_LATE') {
    if (landAfterMs !== undefined) throw new Error('landAfterMs is only for outcome LAND_LATE');
    ctx.payScript.set(no, outcome as Exclude<PayOutcome, 'LAND_LATE'>);
    return;
  }
  if (typeof landAfterMs !== 'number' || !Number.isInteger(landAfterMs) || landAfterMs < 0) {
    throw new Error('landAfterMs is required with LAND_LATE: a whole number of milliseconds ≥ 0');
  }
  ctx.payScript.set(no, { outcome, landAfterMs });
}

/** Ids and serials of the peer's keys (no key material), with its settings. */
function identityOf(ctx: PeerAdminContext): Record<string, unknown> {
  const { mchid, merchantSerial, publicKeyId, platformSerial } = ctx.identity;
  return { mchid, merchantSerial, publicKeyId, platformSerial, settings: ctx.settings };
}

/** A debit lands now on an existing order, or on a new one described by the body (201). */
function landPayNow(ctx: PeerAdminContext, no: string, body: Record<string, unknown>): [number, unknown] {
  const existing = ctx.orders.get(no);
  if (existing) {
    const before = moneyState(existing);
    landDebit(existing);
    booked(ctx, existing, before);
    return [200, existing];
  }
  const order = newOrder(orderFields(ctx, body, no), 'SUCCESS');
  ctx.orders.set(no, order);
  booked(ctx, order, undefined);
  return [201, order];
}

/**
 * Books in the ledger what an admin change moved (see {@link bookMoves}): a sub-order set paid is a debit, one set
 * `REFUND` a refund (a reverse through the API is the only REVOKED).
 */
function booked(ctx: PeerAdminContext, order: SimOrder, before: ReturnType<typeof moneyState>): void {
  const cause: MoveCause = 'other';
  bookMoves(ctx.ledger, order, before, cause, peerNowMs(ctx.settings));
}

/** {@link checkOrderFields}, the order's merchant defaulting to the simulator identity's. */
function orderFields(ctx: PeerAdminContext, body: Record<string, unknown>, pathNo?: string) {
  return { combineMchid: ctx.identity.mchid, ...checkOrderFields(body, pathNo) };
}

async function jsonBody(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readBody(req);
  } catch {
    throw new AdminError(413, 'body too large');
  }
  if (text.trim() === '') return {};
  const json = safeJson(text);
  if (!json) throw new Error('body must be a JSON object');
  return json;
}
