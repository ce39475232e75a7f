/**
 * The WeChat Pay peer's memory of the signed answers it gave, for the faults that replay one byte for byte:
 * `REPLAY_LAST` (the last signed answer to the same order on the same route) and `REPLAY_NOT_EXIST` (a signed
 * `404 ORDER_NOT_EXIST` given to any order in the last four minutes; error answers name no order, so it fits any).
 */
import { randomBytes } from 'node:crypto';
import { markVerifiable, signedHeaders, answerBody, type Exchange } from './peer-answer';
import { openEntry, record, type PeerLogEntry } from './peer-log';
import { queryApi, safeJson, type OrderBook } from './peer-orders';
import { queryPath, type Route } from './peer-routes';
import { signingKey, type PeerSettings } from './peer-settings';
import type { SimulatorIdentity } from './keys';

/** A signed answer as it went out. */
export interface SentAnswer {
  /** The log entry (`seq`) of the exchange that first gave it. */
  seq: number;
  /** When it was first given (epoch ms). */
  at: number;
  status: number;
  /** Every header set: the four `Wechatpay-*`, `Content-Type` with a body, any other (e.g. `Retry-After`). */
  headers: Readonly<Record<string, string>>;
  body: string;
}

/**
 * How long a "no such order" answer stays fit to replay: its `Wechatpay-Timestamp` is then still well inside a
 * client's ±5 minutes, so only a client that remembers nonces can tell the copy.
 */
export const NOT_EXIST_REPLAY_MS = 4 * 60_000;

/** How many (route, order) pairs' last answers are kept; the least recently answered pair is forgotten first. */
const KEPT_PAIRS = 5_000;

/** The signed answers a peer gave: the last one per route and order, and the last "no such order". */
export class SentAnswers {
  private readonly last = new Map<string, SentAnswer>();
  private notExist: SentAnswer | undefined;

  /** Remembers `sent`, the signed answer to the request logged as `entry` (its status and code already noted). */
  remember(entry: PeerLogEntry, sent: SentAnswer): void {
    if (entry.route !== 'unknown' && entry.orderNo !== undefined) {
      const key = pairKey(entry.route, entry.orderNo);
      this.last.delete(key);
      this.last.set(key, sent);
      if (this.last.size > KEPT_PAIRS) this.last.delete(this.last.keys().next().value!);
    }
    const notExist = sent.status === 404 && entry.code === 'ORDER_NOT_EXIST' && entry.route !== 'unknown';
    // A replayed copy does not make an older answer the newest.
    if (notExist && sent.at >= (this.notExist?.at ?? 0)) this.notExist = sent;
  }

  /** The last signed answer given to `orderNo` on `route`, if it is still kept. */
  lastTo(route: Route, orderNo: string): SentAnswer | undefined {
    return this.last.get(pairKey(route, orderNo));
  }

  /** The last signed `404 ORDER_NOT_EXIST` given, if it was first given within {@link NOT_EXIST_REPLAY_MS}. */
  freshNotExist(now = Date.now()): SentAnswer | undefined {
    return this.notExist && now - this.notExist.at <= NOT_EXIST_REPLAY_MS ? this.notExist : undefined;
  }
}

/** What making a "no such order" answer needs: the peer's orders, keys, settings, log and last request number. */
export interface ReplayingPeer extends OrderBook {
  identity: SimulatorIdentity;
  settings: PeerSettings;
  sent: SentAnswers;
  log: PeerLogEntry[];
  seq: number;
}

/**
 * The signed `404 ORDER_NOT_EXIST` to replay: the last one given within {@link NOT_EXIST_REPLAY_MS}; else the peer
 * first answers a query for a random unknown order (logged like any other request, though none came, right after the
 * request that needs it) and keeps that.
 */
export function notExistToReplay(peer: ReplayingPeer): SentAnswer {
  const fresh = peer.sent.freshNotExist();
  if (fresh) return fresh;
  let orderNo: string;
  do orderNo = `NX${randomBytes(12).toString('hex')}`;
  while (peer.orders.has(orderNo) || peer.latePays.has(orderNo));
  const entry = openEntry(
    ++peer.seq,
    { method: 'GET', path: queryPath(orderNo), wechatpaySerial: undefined },
    { route: 'query', orderNo },
  );
  peer.log.push(entry);
  const { status, payload } = queryApi(peer, orderNo, peer.identity.mchid);
  const body = answerBody(payload);
  const headers = signedHeaders(body, signingKey(peer.settings, peer.identity));
  record(entry, status, payload);
  markVerifiable(entry, headers);
  const sent: SentAnswer = { seq: entry.seq, at: Date.now(), status, headers, body };
  peer.sent.remember(entry, sent);
  return sent;
}

/** Answers the exchange with a byte-exact copy of `sent`; its log entry says which exchange gave it first. */
export function sendCopy(x: Exchange, sent: SentAnswer): void {
  record(x.entry, sent.status, safeJson(sent.body));
  x.entry.replayOf = sent.seq;
  markVerifiable(x.entry, sent.headers);
  x.peer.sent.remember(x.entry, sent);
  x.res.writeHead(sent.status, sent.headers).end(sent.body);
}

function pairKey(route: Route, orderNo: string): string {
  return `${route} ${orderNo}`;
}
