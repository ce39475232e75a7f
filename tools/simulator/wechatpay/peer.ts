/**
 * A faithful WeChat Pay APIv3 peer for combined withholding orders: pay, query and reverse; verifies every caller's
 * signature (401 SIGN_ERROR, unsigned, when it fails); signs every other answer with a WeChat Pay public key or a
 * platform certificate; keeps order state (per sub-order); injects faults on request; lands late pays; logs every
 * request for tests to read. This module takes a request from arrival to answer; the parts live beside it:
 * `routes.ts` (which API), `auth.ts` (verifying the caller), `orders.ts` (the order book and the API on it),
 * `fault-table.ts` (the fault table and how faults apply), `answers.ts` (signed answers, and those kept for replay faults),
 * `log.ts`, `settings.ts`, `admin.ts` (the admin API), and `../http-server.ts`.
 */
import {
  answer,
  answerInstead,
  answerUnsigned,
  notExistToReplay,
  SentAnswers,
  spoil,
  type Exchange,
  type PeerView,
} from './answers';
import type http from 'node:http';
import { FaultBook, readBody, sleep, type FaultRule } from '../fault-book';
import { header, serve } from '../http-server';
import type { SimulatorIdentity } from '../keys';
import { handleAdmin, type PeerAdminContext } from './admin';
import { callerProblem, serialProblem, type SeenNonces } from './auth';
import { FAULT_KINDS, FAULT_TABLE, faultApplies, faultRoutes, type FaultKind } from './fault-table';
import { landingEntry, openEntry, record, type PeerLogEntry } from './log';
import {
  landAwaitedDebit,
  orderJson,
  payApi,
  queryApi,
  reverseApi,
  type ApiResult,
  type OrderBook,
  type SimOrder,
} from './orders';
import { ROUTES, routeOf, type Route, type RoutedRequest } from './routes';
import { applyForBill, billFile, checkBillQuery, type IssuedBills } from './bills';
import { bookMoves, Ledger, moneyState } from './ledger';
import { peerNowMs, peerSeconds, peerSettings, type PeerSettings } from './settings';
import { parseAuthorization } from '../signing';

/**
 * A running peer: its orders, scripted pay outcomes and late pays (debits waiting to land on the next "no such
 * order" answer), each by combine_out_trade_no (see {@link OrderBook}), with its settings, faults and request log.
 */
export interface WechatpayPeer extends OrderBook {
  url: string;
  settings: PeerSettings;
  faults: FaultBook<FaultKind, Route>;
  log: PeerLogEntry[];
  /** The signed answers it gave, kept for the replay faults (`REPLAY_NOT_EXIST`, `REPLAY_LAST`). */
  sent: SentAnswers;
  /** Every money movement it performed, by Beijing day: what its trade bills are built from. */
  ledger: Ledger;
  /** The trade bills it answered for, by download token. */
  bills: IssuedBills;
  /**
   * Puts an order into the book from the same process (what a test's or a simulated checkout's pay call leaves at
   * WeChat Pay), booking its money movements in the ledger like any change the peer makes itself.
   */
  setOrder(no: string, order: SimOrder): void;
  close(): Promise<void>;
}

/**
 * Everything a running peer keeps: what the admin API sees, the nonces callers used, the last request number, the
 * signed answers it gave.
 */
interface PeerState extends PeerAdminContext {
  seenNonces: SeenNonces;
  seq: number;
  sent: SentAnswers;
  /** Debits of pay calls scripted `LAND_LATE` that have not come due yet (cleared on close). */
  landings: Set<NodeJS.Timeout>;
  bills: IssuedBills;
}

/** Starts the peer. */
export async function startWechatpayPeer(
  identity: SimulatorIdentity,
  options: { port?: number; host?: string; seed?: number; settings?: Partial<PeerSettings> } = {},
): Promise<WechatpayPeer> {
  const settings = peerSettings(options.settings);
  const faults = new FaultBook<FaultKind, Route>(FAULT_KINDS, ROUTES, options.seed ?? 1, faultRoutes);
  const log: PeerLogEntry[] = [];
  const book: OrderBook = { orders: new Map(), payScript: new Map(), latePays: new Map() };
  const sent = new SentAnswers();
  const landings = new Set<NodeJS.Timeout>();
  const ledger = new Ledger();
  const bills: IssuedBills = new Map();
  const peer: PeerState = {
    identity,
    settings,
    faults,
    log,
    ...book,
    ledger,
    bills,
    seenNonces: new Map(),
    seq: 0,
    sent,
    landings,
  };
  const server = await serve((req, res) => handle(peer, req, res), {
    port: options.port,
    host: options.host,
    destroyOnLateError: true,
  });
  const close = (): Promise<void> => {
    landings.forEach(clearTimeout);
    return server.close();
  };
  const setOrder = (no: string, order: SimOrder): void => {
    const before = moneyState(book.orders.get(no));
    book.orders.set(no, order);
    bookMoves(ledger, order, before, 'other', peerNowMs(settings));
  };
  return { url: `${server.base}/`, settings, faults, log, ...book, sent, ledger, bills, setOrder, close };
}

/** Answers one request: the admin API, or an API call (logged, verified, faulted or processed, answered). */
async function handle(peer: PeerState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = req.url ?? '/';
  if (url.startsWith('/__admin')) return handleAdmin(peer, req, res);
  const method = req.method ?? 'GET';
  let body: string;
  try {
    body = await readBody(req);
  } catch {
    res.writeHead(413).end();
    return;
  }
  const routed = routeOf(method, url, body);
  const wechatpaySerial = header(req, 'wechatpay-serial');
  const entry = openEntry(++peer.seq, { method, path: url, wechatpaySerial }, routed);
  const bill = billOf(peer, routed);
  if (bill) entry.bill = bill;
  peer.log.push(entry);
  const x: Exchange = { peer, req, res, entry };
  const { route, orderNo } = routed;
  // Every API answer is dated by the peer's clock (a fault may send another Date).
  res.setHeader('Date', new Date(peerNowMs(peer.settings)).toUTCString());

  // 1. The caller's signature, over the exact bytes received.
  const authProblem = callerProblem(
    peer.identity,
    peer.seenNonces,
    { method, uri: url, body, authorization: req.headers.authorization },
    peerSeconds(peer.settings),
  );
  if (authProblem) {
    entry.authProblem = authProblem;
    return answerUnsigned(x, 401, { code: 'SIGN_ERROR', message: `签名错误: ${authProblem}` });
  }
  if (route === 'unknown') return answer(x, 404, { code: 'NOT_FOUND', message: 'no such API' });
  const badSerial = serialProblem(peer.settings, peer.identity, wechatpaySerial);
  if (badSerial) return answer(x, 400, { code: 'PARAM_ERROR', message: badSerial });

  // 2. Faults that replace the whole exchange: the request is not processed.
  const faultKeys = bill ? [`${bill.subMchid}:${bill.billDate}`, bill.subMchid] : orderNo;
  const { fault, view } = pickFault(peer, route, orderNo, faultKeys);
  const spec = fault ? FAULT_TABLE[fault.kind] : undefined;
  if (fault) entry.fault = fault.kind;
  if (spec?.when === 'before') return answerInstead(x, spec.answer, view);
  if (route === 'billDownload') {
    const corrupt = spec?.answer.type === 'corruptBill';
    return sendBillFile(x, peer, routed.token ?? '', corrupt, spec?.answer.type === 'delay' ? fault : undefined);
  }

  // 3. The API itself; then faults that spoil the answer of a processed request.
  const result =
    route === 'tradeBill'
      ? applyApi(peer, routed, `http://${header(req, 'host') ?? '127.0.0.1'}`)
      : await processRequest(peer, entry, route, body, req.headers.authorization);
  if (spec?.when === 'after') return spoil(x, spec.answer, result.status, result.payload, fault?.delayMs);
  return answer(x, result.status, result.payload);
}

/**
 * Processes the request logged as `entry` (see {@link callApi}), noting its effect. A hanging pay's answer comes after
 * `payHangMs` (after the caller gave up); for one scripted `LAND_LATE`, whose debit is scheduled, it is the order as
 * it is by then.
 */
async function processRequest(
  peer: PeerState,
  entry: PeerLogEntry,
  route: Route,
  body: string,
  authorization: string | undefined,
): Promise<ApiResult> {
  const before = entry.orderNo === undefined ? undefined : moneyState(peer.orders.get(entry.orderNo));
  const result = callApi(peer, route, entry.orderNo, body, authorization);
  if (entry.orderNo !== undefined) {
    const cause = route === 'reverse' ? 'reverse' : 'other';
    bookMoves(peer.ledger, peer.orders.get(entry.orderNo), before, cause, peerNowMs(peer.settings));
  }
  if (result.effect) entry.effect = result.effect;
  if (result.landAfterMs !== undefined) scheduleLanding(peer, entry, result.landAfterMs);
  if (result.hang) await sleep(peer.settings.payHangMs);
  const order = result.landAfterMs !== undefined ? peer.orders.get(entry.orderNo!) : undefined;
  return order ? { ...result, payload: orderJson(order, peer.identity.mchid) } : result;
}

/**
 * Lands the debit of the pay call logged as `pay` (scripted `LAND_LATE`) `landAfterMs` after it arrived, whatever
 * came in between, unless the order no longer awaits it (see {@link landAwaitedDebit}); logs the landing, or that it
 * was prevented, as an entry of its own.
 */
function scheduleLanding(peer: PeerState, pay: PeerLogEntry, landAfterMs: number): void {
  const order = peer.orders.get(pay.orderNo!)!;
  const timer = setTimeout(
    () => {
      peer.landings.delete(timer);
      const before = moneyState(order);
      const effect = landAwaitedDebit(order);
      bookMoves(peer.ledger, order, before, 'other', peerNowMs(peer.settings));
      peer.log.push(landingEntry(++peer.seq, pay, effect, order.state));
    },
    Math.max(0, Date.parse(pay.at) + landAfterMs - Date.now()),
  );
  peer.landings.add(timer);
}

/**
 * The fault rule that fires for a request, among those whose kind can act on it (see {@link faultApplies}), and
 * what a "before" fault reads from the peer.
 */
function pickFault(
  peer: PeerState,
  route: Route,
  orderNo: string | undefined,
  faultKeys: string | readonly string[] | undefined,
): { fault?: FaultRule<FaultKind, Route>; view: PeerView } {
  const order = orderNo === undefined ? undefined : peer.orders.get(orderNo);
  const earlier = orderNo === undefined ? undefined : peer.sent.lastTo(route, orderNo);
  const has = { order: order !== undefined, earlierAnswer: earlier !== undefined };
  const fault = peer.faults.pick(route, faultKeys, (kind) => faultApplies(FAULT_TABLE[kind], route, has));
  const view: PeerView = {
    orderAnswer: () => order && orderJson(order, peer.identity.mchid),
    answerToReplay: (type) => (type === 'replayLast' ? earlier : notExistToReplay(peer)),
  };
  return { ...(fault ? { fault } : {}), view };
}

/** Processes a verified, unfaulted request on the peer's orders (a pay's order belongs to the caller's mchid). */
function callApi(
  peer: PeerState,
  route: Route,
  orderNo: string | undefined,
  body: string,
  authorization: string | undefined,
): ApiResult {
  if (route === 'pay') return payApi(peer, body, parseAuthorization(authorization)?.mchid ?? peer.identity.mchid);
  if (route === 'query') return queryApi(peer, orderNo!, peer.identity.mchid);
  return reverseApi(peer, orderNo!, body, peer.settings);
}

/**
 * The bill a request names: an apply's `sub_mchid` and `bill_date` as sent (checked later), a download's from the
 * bill its token was issued for (none for an unknown token).
 */
function billOf(peer: PeerState, routed: RoutedRequest): { subMchid: string; billDate: string } | undefined {
  if (routed.billQuery) {
    return { subMchid: routed.billQuery.get('sub_mchid') ?? '', billDate: routed.billQuery.get('bill_date') ?? '' };
  }
  const issued = routed.token === undefined ? undefined : peer.bills.get(routed.token);
  return issued && { subMchid: issued.subMchid, billDate: issued.billDate };
}

/** The trade bill's apply (see `bills.ts`), its download URL on `origin`, by the peer's clock. */
function applyApi(peer: PeerState, routed: RoutedRequest, origin: string): ApiResult {
  const now = peerNowMs(peer.settings);
  const query = checkBillQuery(routed.billQuery ?? new URLSearchParams(), now, peer.settings.serveTodayBill);
  if ('payload' in query) return query;
  return applyForBill(peer, query, origin, now);
}

/**
 * Answers a bill download: the file's bytes (GZIP) with no `Wechatpay-*` header — the answer is not signed, its SHA1
 * decides — or, for an unknown or expired token, a signed 400 `INVALID_REQUEST`. `corrupt` (BILL_CORRUPT): bytes
 * that are not the ones hashed; `delay` (DELAY): held back first.
 */
async function sendBillFile(
  x: Exchange,
  peer: PeerState,
  token: string,
  corrupt: boolean,
  delay: FaultRule<FaultKind, Route> | undefined,
): Promise<void> {
  const file = billFile(peer.bills, token, peerNowMs(peer.settings), corrupt);
  if (!('ok' in file)) return answer(x, file.status, file.payload);
  if (delay) await sleep(delay.delayMs ?? peer.settings.delayMs);
  record(x.entry, 200, undefined);
  if (x.res.destroyed) return;
  x.res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': String(file.bytes.length) });
  x.res.end(file.bytes);
}
