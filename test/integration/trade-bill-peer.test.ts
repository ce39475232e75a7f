/**
 * The WeChat Pay peer's trade bills over real HTTP: its ledger (debits, reverses of paid sub-orders, refunds; nothing
 * for unpaid orders), the signed apply and its refusals, the unsigned GZIP download whose SHA1 is the apply's
 * `hash_value`, read back with the product's reader, the bill faults, and planted or dropped rows. The product's
 * client applies and downloads; raw signed calls check what the client does not show (headers, bytes).
 */
import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';
import {
  addBillFault,
  changePeerSettings,
  dropLedgerRows,
  peerLedger,
  plantLedgerRow,
  setOrderState,
  seedOrder,
  type PeerOrderInput,
} from '../../tools/simulator/admin-client';
import { workerEnvFor } from '../../tools/simulator/keys';
import { amountOf, beijingDay, type LedgerRow } from '../../tools/simulator/wechatpay/ledger';
import { startWechatpayPeer, type WechatpayPeer } from '../../tools/simulator/wechatpay/peer';
import { createWechatpayClient, type WechatpayClient } from '../../wechatpay/client';
import { Formatter, Rsa } from '../../wechatpay/plugin';
import { readTradeBill, type TradeBillItem, type TradeBillRow } from '../../wechatpay/trade-bill';
import { loadWorkerConfig } from '../../worker/config';
import { TEST_HMAC_SECRET, testIdentity } from '../harness/stack';

const identity = testIdentity();
const merchantKey = createPrivateKey(fs.readFileSync(identity.merchantPrivateKeyPath));
const wechatpayPublicKey = createPublicKey(identity.wechatpayPrivateKey);
const BASE = '/v3/ecommerce/combine-papay/transactions';
const DAY_MS = 86_400_000;

/** A sub-merchant id of its own for each test (1–32 digits), so bills never mix. */
function newSubMchid(): string {
  return `19${Date.now() % 1e9}${randomBytes(2).readUInt16BE(0)}`.slice(0, 16);
}

function order(subMchid: string, subs = 2): PeerOrderInput {
  const no = `B${Date.now().toString(36)}${randomBytes(5).toString('hex')}`.slice(0, 28);
  return {
    combineOutTradeNo: no,
    combineAppid: 'wxd678efh567hg6787',
    subOrders: Array.from({ length: subs }, (_, i) => ({
      mchid: '1900000109',
      outTradeNo: `${no}S${i + 1}`,
      subMchid,
    })),
  };
}

const wire = (input: PeerOrderInput) => ({
  combine_appid: input.combineAppid,
  sub_orders: input.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid })),
});

/** A raw answer: status, headers, body bytes, and whether its signature verifies. */
interface Raw {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json: Record<string, unknown> | undefined;
  verified: boolean;
}

describe('WeChat Pay peer: trade bills over HTTP', () => {
  let peer: WechatpayPeer;
  let client: WechatpayClient;
  /** Yesterday in Beijing, computed once (a day the peer serves whatever the wall clock does meanwhile). */
  const yesterday = beijingDay(Date.now() - DAY_MS);

  beforeAll(async () => {
    peer = await startWechatpayPeer(identity, { settings: { delayMs: 300 } });
    const config = loadWorkerConfig({
      ...workerEnvFor(identity, { wechatpay: peer.url, compensation: 'http://127.0.0.1:9/compensations' }),
      COMPENSATION_HMAC_SECRET: TEST_HMAC_SECRET,
    });
    client = createWechatpayClient(config.wechatpay);
  });
  afterAll(async () => {
    await peer.close();
  });
  beforeEach(async () => {
    peer.faults.clear();
    await changePeerSettings(peer.url, { serveTodayBill: false, billUrlValidityMs: 5 * 60_000 });
  });

  /** A signed GET, as the product signs it (path and query), answered raw. */
  async function signedGet(uri: string): Promise<Raw> {
    const ts = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const signature = Rsa.sign(Formatter.request('GET', uri, ts, nonce, ''), merchantKey);
    const res = await fetch(new URL(uri.slice(1), peer.url), {
      headers: {
        Authorization: Formatter.authorization(identity.mchid, nonce, signature, ts, identity.merchantSerial),
        'Wechatpay-Serial': identity.publicKeyId,
      },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const [hts, hnonce, hsig] = ['timestamp', 'nonce', 'signature'].map((n) => res.headers.get(`wechatpay-${n}`));
    const verified =
      !!hts &&
      !!hnonce &&
      !!hsig &&
      Rsa.verify(Formatter.response(hts, hnonce, bytes.toString()), hsig, wechatpayPublicKey);
    let json: Record<string, unknown> | undefined;
    try {
      json = JSON.parse(bytes.toString()) as Record<string, unknown>;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, bytes, json, verified };
  }

  const applyRaw = (subMchid: string, billDate: string) =>
    signedGet(`/v3/bill/tradebill?bill_date=${billDate}&sub_mchid=${subMchid}&bill_type=ALL&tar_type=GZIP`);
  const pathOf = (url: string) => {
    const u = new URL(url);
    return `${u.pathname}${u.search}`;
  };

  /** Applies with the product's client: the verified answer's body. */
  async function apply(subMchid: string, billDate: string) {
    const answer = await client.tradeBill({ billDate, subMchid });
    expect(answer).toMatchObject({ kind: 'answer', status: 200, verified: true });
    return (answer as { body: { hash_type: string; hash_value: string; download_url: string } }).body;
  }

  /** Downloads with the product's client and reads the rows; the digest must match. */
  async function download(downloadUrl: string, hashValue: string) {
    const file = await client.downloadTradeBill(downloadUrl);
    if (!file.ok) throw new Error(`download failed: ${file.reason}`);
    const reader = readTradeBill(file.lines);
    const items: TradeBillItem[] = [];
    for await (const item of reader) items.push(item);
    return { items, end: reader.end(), matches: file.matches(hashValue) };
  }

  const rowsOf = (items: TradeBillItem[]): TradeBillRow[] => items.flatMap((i) => (i.ok ? [i.row] : []));

  it('books debits and reverses of paid orders (not of unpaid ones) and serves them as a signed, hashed GZIP bill', async () => {
    const sub = newSubMchid();
    const paid = order(sub);
    const reversed = order(sub, 1);
    const unpaid = order(sub, 1);
    for (const input of [paid, reversed]) {
      const pay = await signedPost(BASE, { combine_out_trade_no: input.combineOutTradeNo, ...wire(input) });
      expect(pay).toBe(200);
    }
    await seedOrder(peer.url, unpaid, 'PAYING');
    expect(await signedPost(`${BASE}/${reversed.combineOutTradeNo}/reverse`, wire(reversed))).toBe(204);
    expect(await signedPost(`${BASE}/${unpaid.combineOutTradeNo}/reverse`, wire(unpaid))).toBe(204);

    const ledger = await peerLedger(peer.url, { subMchid: sub });
    const kinds = ledger.map((r) => `${r.tradeState} ${r.outTradeNo}`).sort();
    const [p1, p2] = paid.subOrders.map((s) => s.outTradeNo);
    const r1 = reversed.subOrders[0]!.outTradeNo;
    expect(kinds).toEqual([`REVOKED ${r1}`, `SUCCESS ${p1}`, `SUCCESS ${p2}`, `SUCCESS ${r1}`].sort());
    // The day the movements were booked on, read off the ledger: today, unless midnight (Beijing) passed meanwhile.
    const days = new Set(ledger.map((r) => r.billDate));
    await changePeerSettings(peer.url, { serveTodayBill: true });
    for (const day of days) {
      const booked = ledger.filter((r) => r.billDate === day);
      const applied = await apply(sub, day);
      expect(applied.hash_type).toBe('SHA1');
      expect(new URL(applied.download_url).origin).toBe(new URL(peer.url).origin);
      const read = await download(applied.download_url, applied.hash_value);
      expect(read.matches).toBe(true);
      expect(read.end).toMatchObject({ ok: true, summary: { trades: booked.length } });
      expect(read.items.every((i) => i.ok)).toBe(true);
      expect(rowsOf(read.items).map(pick).sort(byKey)).toEqual(booked.map(expected).sort(byKey));
    }
  });

  it('answers the file unsigned, GZIP, its decompressed SHA1 the hash_value; the apply is signed', async () => {
    const sub = newSubMchid();
    await plantLedgerRow(peer.url, { tradeState: 'SUCCESS', subMchid: sub, outTradeNo: 'PLANT1', billDate: yesterday });
    const applied = await applyRaw(sub, yesterday);
    expect(applied).toMatchObject({ status: 200, verified: true });
    const url = applied.json!.download_url as string;
    const file = await signedGet(pathOf(url));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
    expect([...file.headers.keys()].filter((k) => k.startsWith('wechatpay-'))).toEqual([]);
    const text = zlib.gunzipSync(file.bytes);
    expect(createHash('sha1').update(text).digest('hex')).toBe(applied.json!.hash_value);
    expect(text.toString('utf8')).toContain('`PLANT1');
    // An unsigned download is refused like any call.
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(401);
  });

  it('refuses bad dates and an empty day with signed 400s', async () => {
    const sub = newSubMchid();
    const today = beijingDay(Date.now() + 60_000);
    const cases: [string, string, string][] = [
      ['2026-02-30', 'PARAM_ERROR', 'not a real day'],
      ['20261201', 'PARAM_ERROR', 'malformed'],
      [today, 'PARAM_ERROR', 'today'],
      [beijingDay(Date.now() + 3 * DAY_MS), 'PARAM_ERROR', 'a later day'],
      [beijingDay(Date.now() - 120 * DAY_MS), 'INVALID_REQUEST', 'more than three months back'],
      [yesterday, 'NO_STATEMENT_EXIST', 'no rows that day'],
    ];
    for (const [day, code, why] of cases) {
      const answer = await applyRaw(sub, day);
      expect({ why, status: answer.status, code: answer.json?.code, verified: answer.verified }).toEqual({
        why,
        status: 400,
        code,
        verified: true,
      });
    }
    const bad = await signedGet(`/v3/bill/tradebill?bill_date=${yesterday}&sub_mchid=abc&bill_type=ALL`);
    expect(bad.json?.code).toBe('PARAM_ERROR');
  });

  it('expires the download URL after billUrlValidityMs, and refuses an unknown token', async () => {
    const sub = newSubMchid();
    await plantLedgerRow(peer.url, { tradeState: 'SUCCESS', subMchid: sub, outTradeNo: 'EXP1', billDate: yesterday });
    await changePeerSettings(peer.url, { billUrlValidityMs: 200 });
    const applied = await apply(sub, yesterday);
    await new Promise((r) => setTimeout(r, 400));
    const expired = await client.downloadTradeBill(applied.download_url);
    expect(expired).toMatchObject({ ok: false, kind: 'answer', status: 400, code: 'INVALID_REQUEST' });
    const unknown = await signedGet('/v3/billdownload/file?token=nosuchtoken');
    expect(unknown).toMatchObject({ status: 400, verified: true, json: { code: 'INVALID_REQUEST' } });
  });

  it('injects BILL_NOT_READY, BILL_APPLY_UNSIGNED, BILL_URL_EXPIRED and BILL_CORRUPT', async () => {
    const sub = newSubMchid();
    await plantLedgerRow(peer.url, { tradeState: 'SUCCESS', subMchid: sub, outTradeNo: 'F1', billDate: yesterday });
    await plantLedgerRow(peer.url, { tradeState: 'REFUND', subMchid: sub, outTradeNo: 'F1', billDate: yesterday });
    await addBillFault(peer.url, { kind: 'BILL_NOT_READY', count: 2, subMchid: sub, billDate: yesterday });
    for (let i = 0; i < 2; i++) {
      expect(await client.tradeBill({ billDate: yesterday, subMchid: sub })).toMatchObject({
        kind: 'answer',
        status: 400,
        code: 'STATEMENT_CREATING',
        verified: true,
      });
    }
    await addBillFault(peer.url, { kind: 'BILL_APPLY_UNSIGNED', count: 1, subMchid: sub });
    expect(await client.tradeBill({ billDate: yesterday, subMchid: sub })).toMatchObject({ kind: 'unverified' });
    const applied = await apply(sub, yesterday);

    await addBillFault(peer.url, { kind: 'BILL_URL_EXPIRED', count: 1 });
    expect(await client.downloadTradeBill(applied.download_url)).toMatchObject({ ok: false, code: 'INVALID_REQUEST' });

    await addBillFault(peer.url, { kind: 'BILL_CORRUPT', count: 1, subMchid: sub, billDate: yesterday });
    const corrupt = await download(applied.download_url, applied.hash_value);
    expect(corrupt.matches).toBe(false);
    expect(corrupt.end).toMatchObject({ ok: true });
    // The same URL again: the true file.
    const clean = await download(applied.download_url, applied.hash_value);
    expect(clean.matches).toBe(true);
    expect(
      rowsOf(clean.items)
        .map((r) => r.tradeState)
        .sort(),
    ).toEqual(['REFUND', 'SUCCESS']);
    const log = peer.log.filter((e) => e.bill?.subMchid === sub && e.fault).map((e) => [e.route, e.fault]);
    expect(log).toEqual([
      ['tradeBill', 'BILL_NOT_READY'],
      ['tradeBill', 'BILL_NOT_READY'],
      ['tradeBill', 'BILL_APPLY_UNSIGNED'],
      ['billDownload', 'BILL_URL_EXPIRED'],
      ['billDownload', 'BILL_CORRUPT'],
    ]);
  });

  it('plants a debit no order knows, drops a debit and a REVOKED row: the bill shows what the ledger says', async () => {
    const sub = newSubMchid();
    const adopted = order(sub, 1);
    const compensated = order(sub, 1);
    await seedOrder(peer.url, adopted, 'SUCCESS');
    await seedOrder(peer.url, compensated, 'SUCCESS');
    expect(await signedPost(`${BASE}/${compensated.combineOutTradeNo}/reverse`, wire(compensated))).toBe(204);
    const a1 = adopted.subOrders[0]!.outTradeNo;
    const c1 = compensated.subOrders[0]!.outTradeNo;
    const day = (await peerLedger(peer.url, { subMchid: sub }))[0]!.billDate;
    expect(await dropLedgerRows(peer.url, { tradeState: 'SUCCESS', outTradeNo: a1 })).toHaveLength(1);
    expect(await dropLedgerRows(peer.url, { tradeState: 'REVOKED', outTradeNo: c1, subMchid: sub })).toHaveLength(1);
    const planted = await plantLedgerRow(peer.url, {
      tradeState: 'SUCCESS',
      subMchid: sub,
      outTradeNo: 'ORPHAN1',
      at: new Date().toISOString(),
      amountFen: 12_345,
    });
    expect(planted).toMatchObject({ planted: true, billDate: day, amountFen: 12_345 });
    await changePeerSettings(peer.url, { serveTodayBill: true });
    const days = new Set((await peerLedger(peer.url, { subMchid: sub })).map((r) => r.billDate));
    const rows: TradeBillRow[] = [];
    for (const d of days) {
      const applied = await apply(sub, d);
      rows.push(...rowsOf((await download(applied.download_url, applied.hash_value)).items));
    }
    expect(rows.map((r) => `${r.tradeState} ${r.outTradeNo}`).sort()).toEqual([`SUCCESS ${c1}`, 'SUCCESS ORPHAN1']);
    expect(rows.find((r) => r.outTradeNo === 'ORPHAN1')).toMatchObject({
      settlementFen: 12_345,
      mchid: identity.mchid,
    });
  });

  it('books an admin refund as a REFUND row, and nothing for an order that never paid', async () => {
    const sub = newSubMchid();
    const refunded = order(sub, 1);
    const never = order(sub, 1);
    await seedOrder(peer.url, refunded, 'SUCCESS');
    await setOrderState(peer.url, refunded.combineOutTradeNo, 'REFUND');
    await seedOrder(peer.url, never, 'NOTPAY');
    await setOrderState(peer.url, never.combineOutTradeNo, 'CLOSED');
    const rows = await peerLedger(peer.url, { subMchid: sub });
    expect(rows.map((r) => r.tradeState).sort()).toEqual(['REFUND', 'SUCCESS']);
    expect(rows.every((r) => r.outTradeNo === refunded.subOrders[0]!.outTradeNo)).toBe(true);
    expect(rows.find((r) => r.tradeState === 'REFUND')).toMatchObject({ amountFen: amountOf(rows[0]!.outTradeNo) });
  });

  /** A signed POST; its status. */
  async function signedPost(uri: string, payload: Record<string, unknown>): Promise<number> {
    const body = JSON.stringify(payload);
    const ts = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const signature = Rsa.sign(Formatter.request('POST', uri, ts, nonce, body), merchantKey);
    const res = await fetch(new URL(uri.slice(1), peer.url), {
      method: 'POST',
      headers: {
        Authorization: Formatter.authorization(identity.mchid, nonce, signature, ts, identity.merchantSerial),
        'Wechatpay-Serial': identity.publicKeyId,
        'Content-Type': 'application/json',
      },
      body,
    });
    await res.arrayBuffer();
    return res.status;
  }
});

/** What a bill row must carry for a ledger row. */
function expected(r: LedgerRow): Record<string, unknown> {
  const refund = r.tradeState !== 'SUCCESS';
  return {
    tradeTime: r.tradeTime,
    mchid: r.mchid,
    subMchid: r.subMchid,
    transactionId: r.transactionId,
    outTradeNo: r.outTradeNo,
    tradeState: r.tradeState,
    settlementFen: refund ? 0 : r.amountFen,
    refundFen: refund ? r.amountFen : 0,
    outRefundNo: r.outRefundNo,
  };
}

function pick(r: TradeBillRow): Record<string, unknown> {
  const { tradeTime, mchid, subMchid, transactionId, outTradeNo, tradeState, settlementFen, refundFen } = r;
  return {
    tradeTime,
    mchid,
    subMchid,
    transactionId,
    outTradeNo,
    tradeState,
    settlementFen,
    refundFen,
    outRefundNo: r.outRefundNo,
  };
}

function byKey(a: Record<string, unknown>, b: Record<string, unknown>): number {
  return `${String(a.tradeState)}${String(a.outTradeNo)}`.localeCompare(
    `${String(b.tradeState)}${String(b.outTradeNo)}`,
  );
}
