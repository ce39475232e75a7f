/**
 * The simulator's peers themselves, over real HTTP: the WeChat Pay peer (requests signed with the simulator's
 * merchant key, answers checked against its WeChat Pay public key) and the order-service stub (HMAC computed here,
 * independently of the product's code).
 */
import {
  AFTER_EFFECT,
  FAULT_KINDS,
  RECOVERABLE_FAULTS,
  recoverableOn,
  type FaultKind,
} from '../../tools/simulator/wechatpay/fault-table';
import { type TradeState } from '../../tools/simulator/wechatpay/orders';
import { NOT_EXIST_REPLAY_MS } from '../../tools/simulator/wechatpay/answers';
import { STALE_ANSWER_AGE_S } from '../../tools/simulator/wechatpay/fault-table';
import { createHmac, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  changePeerSettings,
  landPay,
  peerRequests,
  scheduleLatePay,
  scriptPay,
  seedOrder,
  setOrderState,
  type PeerOrderInput,
} from '../../tools/simulator/admin-client';
import { loadOrCreateIdentity } from '../../tools/simulator/keys';
import { startOrderService, type OrderService } from '../../tools/simulator/order-service';
import { startWechatpayPeer, type WechatpayPeer } from '../../tools/simulator/wechatpay/peer';
import { Formatter, Rsa } from '../../wechatpay/plugin';

const identity = loadOrCreateIdentity(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'simulator-keys'));
const merchantKey = createPrivateKey(fs.readFileSync(identity.merchantPrivateKeyPath));
const wechatpayPublicKey = createPublicKey(identity.wechatpayPrivateKey);
const BASE = '/v3/ecommerce/combine-papay/transactions';
/** The order-service stub's Standard Webhooks secret. */
const SECRET = `whsec_${Buffer.from('peer-test-hmac-secret-0123456789').toString('base64')}`;

function newOrderNo(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(5).toString('hex')}`.slice(0, 32);
}

function order(prefix = 'P', subs = 2): PeerOrderInput {
  const no = newOrderNo(prefix);
  return {
    combineOutTradeNo: no,
    combineAppid: 'wxd678efh567hg6787',
    subOrders: Array.from({ length: subs }, (_, i) => ({
      mchid: '1900000109',
      outTradeNo: `${no.slice(0, 28)}S${i + 1}`,
      subMchid: `190000000${i + 1}`,
    })),
  };
}

/** An answer with what a careful client checks. */
interface Answer {
  status: number;
  body: string;
  json: Record<string, unknown> | undefined;
  /** Names of the `Wechatpay-*` headers present (lower case). */
  wechatpayHeaders: string[];
  /** The `Wechatpay-*` headers' values, by lower-case name. */
  wechatpay: Record<string, string>;
  /** All four headers present and the signature verifies with the WeChat Pay public key under its id. */
  verified: boolean;
  /** The `Retry-After` header, if any. */
  retryAfter?: string;
  /** The `Date` header. */
  date?: string;
}

describe('WeChat Pay peer over HTTP', () => {
  let peer: WechatpayPeer;

  beforeAll(async () => {
    peer = await startWechatpayPeer(identity, { settings: { delayMs: 500 } });
  });
  afterAll(async () => {
    await peer.close();
  });
  beforeEach(() => {
    peer.faults.clear();
    peer.settings.repeatReversePolicy = 'NO_CONTENT';
    peer.settings.refundLagMs = 0;
    peer.settings.payHangMs = 65_000;
    peer.settings.clockOffsetMs = 0;
  });

  /** A signed APIv3 call, exactly as the product sends it (Authorization over METHOD\nURI\nTS\nNONCE\nBODY\n). */
  function call(method: 'GET' | 'POST', uri: string, payload?: Record<string, unknown>): Promise<Answer> {
    return callAt(peer, method, uri, payload);
  }

  /** {@link call} to another peer (same identity). */
  async function callAt(
    to: WechatpayPeer,
    method: 'GET' | 'POST',
    uri: string,
    payload?: Record<string, unknown>,
  ): Promise<Answer> {
    const body = payload === undefined ? '' : JSON.stringify(payload);
    const ts = Formatter.timestamp();
    const nonce = Formatter.nonce();
    const signature = Rsa.sign(Formatter.request(method, uri, ts, nonce, body), merchantKey);
    const res = await fetch(new URL(uri.slice(1), to.url), {
      method,
      headers: {
        Authorization: Formatter.authorization(identity.mchid, nonce, signature, ts, identity.merchantSerial),
        Accept: 'application/json',
        'Wechatpay-Serial': identity.publicKeyId,
        ...(body ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(body ? { body } : {}),
    });
    const text = await res.text();
    const h = (name: string) => res.headers.get(name) ?? undefined;
    const [hts, hnonce, hsig, hserial] = ['timestamp', 'nonce', 'signature', 'serial'].map((n) => h(`wechatpay-${n}`));
    const verified =
      hts !== undefined &&
      hnonce !== undefined &&
      hsig !== undefined &&
      hserial === identity.publicKeyId &&
      Rsa.verify(Formatter.response(hts, hnonce, text), hsig, wechatpayPublicKey);
    let json: Record<string, unknown> | undefined;
    try {
      json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
    } catch {
      json = undefined;
    }
    return {
      status: res.status,
      body: text,
      json,
      wechatpayHeaders: [...res.headers.keys()].filter((k) => k.startsWith('wechatpay-')),
      wechatpay: Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('wechatpay-'))),
      verified,
      ...(res.headers.has('retry-after') ? { retryAfter: res.headers.get('retry-after')! } : {}),
      ...(res.headers.has('date') ? { date: res.headers.get('date')! } : {}),
    };
  }

  const query = (input: PeerOrderInput) => call('GET', `${BASE}/${input.combineOutTradeNo}`);
  const wireSubOrders = (input: PeerOrderInput) =>
    input.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid }));
  const reverse = (input: PeerOrderInput) =>
    call('POST', `${BASE}/${input.combineOutTradeNo}/reverse`, {
      combine_appid: input.combineAppid,
      sub_orders: wireSubOrders(input),
    });
  const pay = (input: PeerOrderInput) =>
    call('POST', BASE, {
      combine_out_trade_no: input.combineOutTradeNo,
      combine_appid: input.combineAppid,
      sub_orders: wireSubOrders(input),
    });
  const subStates = (a: Answer) =>
    (a.json?.sub_orders as { out_trade_no: string; trade_state: string; transaction_id?: string }[]).map((s) => ({
      no: s.out_trade_no,
      state: s.trade_state,
      paid: s.transaction_id !== undefined,
    }));
  const lastEntry = (input: PeerOrderInput) => peer.log.filter((e) => e.orderNo === input.combineOutTradeNo).at(-1);
  const admin = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${peer.url}__admin/${route}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  describe('trade states', () => {
    it('seeding with sub_states shows each sub-order its own trade_state in the signed query', async () => {
      const input = order('Q', 3);
      const [s1, s2, s3] = input.subOrders.map((s) => s.outTradeNo);
      await seedOrder(peer.url, input, 'PAYING', { [s2!]: 'SUCCESS', [s3!]: 'ACCEPT' });
      const answer = await query(input);
      expect(answer).toMatchObject({ status: 200, verified: true });
      expect(subStates(answer)).toEqual([
        { no: s1, state: 'USERPAYING', paid: false },
        { no: s2, state: 'SUCCESS', paid: true },
        { no: s3, state: 'ACCEPT', paid: false },
      ]);
      // The order-level field tests read stays as seeded.
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('PAYING');
    });

    it.each([
      'PAYING',
      'SUCCESS',
      'REFUND',
      'NOTPAY',
      'CLOSED',
      'REVOKED',
      'USERPAYING',
      'PAYERROR',
      'ACCEPT',
    ] as const)('seeds %s and queries it for every sub-order', async (state) => {
      const input = order('S');
      await seedOrder(peer.url, input, state);
      const answer = await query(input);
      const wire = state === 'PAYING' ? 'USERPAYING' : state;
      const paid = state === 'SUCCESS' || state === 'REFUND';
      expect(answer.verified).toBe(true);
      expect(subStates(answer).map(({ state: s, paid: p }) => ({ s, p }))).toEqual([
        { s: wire, p: paid },
        { s: wire, p: paid },
      ]);
    });

    it("answers combine_mchid: the pay caller's mchid, a seed's combine_mchid, else the simulator identity's", async () => {
      const paid = order('PM');
      const payAnswer = await pay(paid);
      expect(payAnswer).toMatchObject({ status: 200, verified: true, json: { combine_mchid: identity.mchid } });
      const queried = await query(paid);
      expect(queried).toMatchObject({ status: 200, verified: true });
      // The field order of WeChat Pay's own answer.
      expect(Object.keys(queried.json!)).toEqual([
        'combine_appid',
        'combine_mchid',
        'combine_out_trade_no',
        'sub_orders',
      ]);
      expect(queried.json?.combine_mchid).toBe(identity.mchid);
      expect(peer.orders.get(paid.combineOutTradeNo)?.combineMchid).toBe(identity.mchid);

      const seeded = order('SM');
      await seedOrder(peer.url, seeded, 'SUCCESS');
      expect((await query(seeded)).json?.combine_mchid).toBe(identity.mchid);
      const other = { ...order('OM'), combineMchid: '1230000109' };
      await seedOrder(peer.url, other, 'SUCCESS');
      expect(await query(other)).toMatchObject({ verified: true, json: { combine_mchid: '1230000109' } });
      expect(await admin('GET', `orders/${other.combineOutTradeNo}`)).toMatchObject({
        json: { combineMchid: '1230000109' },
      });
      // A late pay carries the seed's merchant too.
      const late = { ...order('LM'), combineMchid: '1230000110' };
      await scheduleLatePay(peer.url, late, 'QUERY_NOT_FOUND');
      await query(late);
      expect((await query(late)).json?.combine_mchid).toBe('1230000110');
    });

    it('an unknown order is a signed 404 ORDER_NOT_EXIST', async () => {
      const answer = await query(order('U'));
      expect(answer).toMatchObject({ status: 404, verified: true, json: { code: 'ORDER_NOT_EXIST' } });
    });

    it('admin validation names the bad field', async () => {
      const input = order('V');
      const body = {
        combine_out_trade_no: input.combineOutTradeNo,
        combine_appid: input.combineAppid,
        sub_orders: [{ mchid: '1', out_trade_no: 'A1', sub_mchid: '2' }],
      };
      expect(await admin('POST', 'orders', { ...body, state: 'PAID' })).toMatchObject({
        status: 400,
        json: { error: expect.stringMatching(/^state must be one of PAYING, SUCCESS/) as unknown },
      });
      expect(await admin('POST', 'orders', { ...body, sub_states: { ZZ: 'SUCCESS' } })).toMatchObject({
        status: 400,
        json: { error: expect.stringMatching(/^sub_states\.ZZ names no sub-order/) as unknown },
      });
      expect(await admin('POST', 'orders', { ...body, sub_states: { A1: 'NOPE' } })).toMatchObject({
        status: 400,
        json: { error: expect.stringMatching(/^sub_states\.A1 must be one of/) as unknown },
      });
      expect(
        await admin('POST', 'orders', { ...body, sub_orders: [{ mchid: '1', out_trade_no: 'A1' }] }),
      ).toMatchObject({ status: 400, json: { error: 'sub_orders[0].sub_mchid must be a non-empty string' } });
      expect(await admin('POST', 'orders', { ...body, combine_mchid: 'M19' })).toMatchObject({
        status: 400,
        json: { error: 'combine_mchid must be a merchant id (1 to 32 digits) when present' },
      });
      expect(await admin('POST', 'late-pay', { ...body, after: 'SOON' })).toMatchObject({
        status: 400,
        json: { error: 'after must be one of REVERSE_NOT_FOUND, QUERY_NOT_FOUND' },
      });
      expect(await admin('POST', `orders/${input.combineOutTradeNo}/state`, { state: 'CLOSED' })).toMatchObject({
        status: 404,
      });
    });
  });

  describe('reverse', () => {
    it.each([
      ['SUCCESS', 'REFUND'],
      ['PAYING', 'CLOSED'],
      ['NOTPAY', 'CLOSED'],
      ['USERPAYING', 'CLOSED'],
      ['ACCEPT', 'CLOSED'],
      ['PAYERROR', 'CLOSED'],
    ] as const)('of %s → %s (signed 204), then a repeat', async (from, to) => {
      const input = order('R');
      await seedOrder(peer.url, input, from);
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true, body: '' });
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe(to);
      expect(lastEntry(input)?.effect).toEqual({ from, to });
      expect(subStates(await query(input)).map((s) => s.state)).toEqual([to, to]);
      peer.settings.repeatReversePolicy = 'ORDER_CLOSED';
      expect(await reverse(input)).toMatchObject({ status: 400, verified: true, json: { code: 'ORDER_CLOSED' } });
      expect(lastEntry(input)?.effect).toBeUndefined();
    });

    it('a repeat refused as INVALID_REQUEST by setting: signed 400, nothing changes; a first reverse still works', async () => {
      expect(await admin('POST', 'settings', { repeatReversePolicy: 'INVALID_REQUEST' })).toMatchObject({
        status: 200,
        json: { repeatReversePolicy: 'INVALID_REQUEST' },
      });
      const input = order('I');
      await seedOrder(peer.url, input, 'SUCCESS');
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(await reverse(input)).toMatchObject({
        status: 400,
        verified: true,
        json: { code: 'INVALID_REQUEST', message: '订单状态不允许撤销' },
      });
      expect(lastEntry(input)).toMatchObject({ status: 400, code: 'INVALID_REQUEST', answerVerifiable: true });
      expect(lastEntry(input)?.effect).toBeUndefined();
      expect(peer.orders.get(input.combineOutTradeNo)).toMatchObject({ state: 'REFUND', reverseRequests: 2 });
      expect(await admin('POST', 'settings', { repeatReversePolicy: 'REFUSE' })).toMatchObject({
        status: 400,
        json: { error: 'repeatReversePolicy must be one of NO_CONTENT, ORDER_CLOSED, INVALID_REQUEST' },
      });
      expect(peer.settings.repeatReversePolicy).toBe('INVALID_REQUEST');
    });

    it.each(['CLOSED', 'REVOKED', 'REFUND'] as const)(
      'of an order already %s follows the repeat policy and changes nothing',
      async (state) => {
        const input = order('F');
        await seedOrder(peer.url, input, state);
        expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
        peer.settings.repeatReversePolicy = 'ORDER_CLOSED';
        expect(await reverse(input)).toMatchObject({ status: 400, verified: true, json: { code: 'ORDER_CLOSED' } });
        expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe(state);
        expect(peer.log.filter((e) => e.orderNo === input.combineOutTradeNo && e.effect)).toHaveLength(0);
      },
    );

    it('reverses sub-order by sub-order: the paid one is refunded, the others closed, overrides kept consistent', async () => {
      const input = order('M', 3);
      const [s1, s2, s3] = input.subOrders.map((s) => s.outTradeNo);
      await seedOrder(peer.url, input, 'NOTPAY', { [s1!]: 'SUCCESS', [s3!]: 'REVOKED' });
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(subStates(await query(input))).toEqual([
        { no: s1, state: 'REFUND', paid: true },
        { no: s2, state: 'CLOSED', paid: false },
        { no: s3, state: 'REVOKED', paid: false },
      ]);
      expect(peer.orders.get(input.combineOutTradeNo)).toMatchObject({
        state: 'REFUND',
        subStates: { [s1!]: 'REFUND', [s2!]: 'CLOSED', [s3!]: 'REVOKED' },
      });
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(lastEntry(input)?.effect).toBeUndefined();
    });
  });

  describe('refunds not yet visible (refundLagMs)', () => {
    it('the query answers a refunded sub-order SUCCESS until refundLagMs has passed, a closed one CLOSED at once', async () => {
      expect(await admin('POST', 'settings', { refundLagMs: 600 })).toMatchObject({
        status: 200,
        json: { refundLagMs: 600 },
      });
      const input = order('G', 2);
      const [s1, s2] = input.subOrders.map((s) => s.outTradeNo);
      await seedOrder(peer.url, input, 'SUCCESS', { [s2!]: 'NOTPAY' });
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      const reversedAt = Date.now();
      expect(lastEntry(input)?.effect).toEqual({ from: 'SUCCESS', to: 'REFUND' });
      expect(subStates(await query(input))).toEqual([
        { no: s1, state: 'SUCCESS', paid: true },
        { no: s2, state: 'CLOSED', paid: false },
      ]);
      // The admin view has the true states and when the refund shows.
      const view = (await admin('GET', `orders/${input.combineOutTradeNo}`)).json;
      expect(view).toMatchObject({ state: 'REFUND', subStates: { [s1!]: 'REFUND', [s2!]: 'CLOSED' } });
      const visibleAt = Date.parse((view.refundVisibleAt as Record<string, string>)[s1!]!);
      expect(visibleAt - reversedAt).toBeGreaterThan(500);
      expect(visibleAt - reversedAt).toBeLessThanOrEqual(600);
      expect(Object.keys(view.refundVisibleAt as object)).toEqual([s1]);
      // A repeat meanwhile is a repeat: nothing left to change.
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(lastEntry(input)?.effect).toBeUndefined();
      await new Promise((r) => setTimeout(r, visibleAt - Date.now() + 20));
      expect(subStates(await query(input))).toEqual([
        { no: s1, state: 'REFUND', paid: true },
        { no: s2, state: 'CLOSED', paid: false },
      ]);
    });

    it('refundLagMs is checked like the other settings, through the admin API and at start', async () => {
      expect(await admin('POST', 'settings', { refundLagMs: -1, delayMs: 1 })).toMatchObject({
        status: 400,
        json: { error: 'refundLagMs must be a whole number ≥ 0' },
      });
      expect(peer.settings).toMatchObject({ refundLagMs: 0, delayMs: 500 });
      await expect(startWechatpayPeer(identity, { settings: { refundLagMs: 1.5 } })).rejects.toThrow(
        'refundLagMs must be a whole number ≥ 0',
      );
    });
  });

  describe('pays that land', () => {
    it('a late pay lands right after a signed "no such order" answer to a reverse', async () => {
      const input = order('L');
      await scheduleLatePay(peer.url, input, 'REVERSE_NOT_FOUND');
      // A query's not-found is not the trigger.
      expect(await query(input)).toMatchObject({ status: 404, verified: true });
      expect(peer.orders.has(input.combineOutTradeNo)).toBe(false);
      // Nor is an unsigned (proxy) not-found: the request never reached WeChat Pay.
      peer.faults.add({ route: 'reverse', kind: 'UNSIGNED_NOT_EXIST', count: 1, orderNo: input.combineOutTradeNo });
      expect(await reverse(input)).toMatchObject({ status: 404, verified: false, json: { code: 'ORDER_NOT_EXIST' } });
      expect(peer.orders.has(input.combineOutTradeNo)).toBe(false);

      expect(await reverse(input)).toMatchObject({ status: 404, verified: true, json: { code: 'ORDER_NOT_EXIST' } });
      expect(lastEntry(input)).toMatchObject({
        route: 'reverse',
        status: 404,
        code: 'ORDER_NOT_EXIST',
        effect: { from: 'NONE', to: 'SUCCESS', latePay: true },
      });
      expect(peer.latePays.has(input.combineOutTradeNo)).toBe(false);
      const after = await query(input);
      expect(after).toMatchObject({ status: 200, verified: true });
      expect(subStates(after).every((s) => s.state === 'SUCCESS' && s.paid)).toBe(true);
      // The next reverse refunds it.
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('REFUND');
    });

    it('a late pay lands right after a "no such order" answer to a query; refused for an existing order', async () => {
      const input = order('Z');
      await scheduleLatePay(peer.url, input, 'QUERY_NOT_FOUND');
      expect(await query(input)).toMatchObject({ status: 404, verified: true });
      expect(lastEntry(input)?.effect).toEqual({ from: 'NONE', to: 'SUCCESS', latePay: true });
      expect(subStates(await query(input)).map((s) => s.state)).toEqual(['SUCCESS', 'SUCCESS']);
      await expect(scheduleLatePay(peer.url, input, 'QUERY_NOT_FOUND')).rejects.toThrow(/409 .*already exists/);
    });

    it('landPay debits now (creating the order if missing); setOrderState sets states directly', async () => {
      const missing = order('N');
      expect(await landPay(peer.url, missing)).toMatchObject({ state: 'SUCCESS' });
      expect(subStates(await query(missing)).every((s) => s.state === 'SUCCESS' && s.paid)).toBe(true);

      const input = order('D');
      await seedOrder(peer.url, input, 'ACCEPT');
      await landPay(peer.url, input);
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('SUCCESS');

      const [s1, s2] = input.subOrders.map((s) => s.outTradeNo);
      await setOrderState(peer.url, input.combineOutTradeNo, 'CLOSED', { [s2!]: 'REVOKED' });
      expect(subStates(await query(input)).map((s) => s.state)).toEqual(['CLOSED', 'REVOKED']);
      await setOrderState(peer.url, input.combineOutTradeNo, 'PAYERROR');
      expect(subStates(await query(input))).toEqual([
        { no: s1, state: 'PAYERROR', paid: false },
        { no: s2, state: 'PAYERROR', paid: false },
      ]);
    });
  });

  describe('a pay call that lands late, unannounced (LAND_LATE)', () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const states = async (input: PeerOrderInput) => subStates(await query(input)).map((s) => [s.state, s.paid]);

    it('is registered PAYING, its answer hangs, and the debit lands landAfterMs after it arrived, by itself', async () => {
      expect(await changePeerSettings(peer.url, { payHangMs: 300 })).toMatchObject({ payHangMs: 300 });
      const input = order('LL');
      await scriptPay(peer.url, input.combineOutTradeNo, { outcome: 'LAND_LATE', landAfterMs: 700 });
      const sent = Date.now();
      const paying = pay(input);
      await sleep(100);
      expect(await states(input)).toEqual([
        ['USERPAYING', false],
        ['USERPAYING', false],
      ]);
      // The held-back answer (after payHangMs): the order as it then is, not paid yet.
      const answered = await paying;
      expect(Date.now() - sent).toBeGreaterThanOrEqual(290);
      expect(answered).toMatchObject({ status: 200, verified: true });
      expect(subStates(answered).map((s) => s.state)).toEqual(['USERPAYING', 'USERPAYING']);
      const payCall = peer.log.find((e) => e.orderNo === input.combineOutTradeNo && e.route === 'pay')!;
      expect(payCall.effect).toEqual({ from: 'NONE', to: 'PAYING' });
      await sleep(sent + 900 - Date.now());
      expect(await states(input)).toEqual([
        ['SUCCESS', true],
        ['SUCCESS', true],
      ]);
      const landing = (await peerRequests(peer.url, input.combineOutTradeNo)).find((e) => e.landing);
      expect(landing).toMatchObject({
        route: 'pay',
        status: 0,
        effect: { from: 'PAYING', to: 'SUCCESS' },
        landing: { payCall: payCall.seq, outcome: 'LANDED' },
      });
      expect(Date.parse(landing!.at) - Date.parse(payCall.at)).toBeGreaterThanOrEqual(690);
      expect(peer.orders.get(input.combineOutTradeNo)?.transactionId).toMatch(/^42000/);
    });

    it('a landing due before the answer: the held-back answer shows the order paid', async () => {
      await changePeerSettings(peer.url, { payHangMs: 400 });
      const input = order('LE');
      await scriptPay(peer.url, input.combineOutTradeNo, { outcome: 'LAND_LATE', landAfterMs: 100 });
      const answered = await pay(input);
      expect(subStates(answered)).toEqual(
        input.subOrders.map((s) => ({ no: s.outTradeNo, state: 'SUCCESS', paid: true })),
      );
    });

    it('does not land on an order reversed before it came due, and logs that it was prevented', async () => {
      await changePeerSettings(peer.url, { payHangMs: 50 });
      const input = order('LP');
      await scriptPay(peer.url, input.combineOutTradeNo, { outcome: 'LAND_LATE', landAfterMs: 400 });
      const sent = Date.now();
      await pay(input);
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(lastEntry(input)?.effect).toEqual({ from: 'PAYING', to: 'CLOSED' });
      await sleep(sent + 600 - Date.now());
      expect(lastEntry(input)).toMatchObject({
        route: 'pay',
        landing: { outcome: 'PREVENTED', found: 'CLOSED' },
      });
      expect(lastEntry(input)?.effect).toBeUndefined();
      expect(await states(input)).toEqual([
        ['CLOSED', false],
        ['CLOSED', false],
      ]);
    });

    it('pay-script validation names the bad field', async () => {
      const no = order('LV').combineOutTradeNo;
      const script = (body: Record<string, unknown>) =>
        admin('POST', 'pay-script', { combine_out_trade_no: no, ...body });
      expect(await script({ outcome: 'LATER' })).toMatchObject({
        status: 400,
        json: { error: 'outcome must be one of SUCCESS, FAIL, HANG, LAND_LATE' },
      });
      expect(await script({ outcome: 'LAND_LATE' })).toMatchObject({
        status: 400,
        json: { error: 'landAfterMs is required with LAND_LATE: a whole number of milliseconds ≥ 0' },
      });
      expect(await script({ outcome: 'LAND_LATE', landAfterMs: -1 })).toMatchObject({ status: 400 });
      expect(await script({ outcome: 'HANG', landAfterMs: 10 })).toMatchObject({
        status: 400,
        json: { error: 'landAfterMs is only for outcome LAND_LATE' },
      });
      expect(peer.payScript.has(no)).toBe(false);
      await scriptPay(peer.url, no, 'FAIL');
      expect(peer.payScript.get(no)).toBe('FAIL');
      await expect(changePeerSettings(peer.url, { payHangMs: -5 })).rejects.toThrow(
        /400 .*payHangMs must be a whole number/,
      );
    });
  });

  describe('fault kinds', () => {
    it('new kinds but GENERIC_NOT_FOUND are recoverable; only NO_HEADERS of them acts after the effect', () => {
      const added: FaultKind[] = [
        'FREQUENCY_LIMITED',
        'ACCEPTED_202',
        'UNSIGNED_NOT_EXIST',
        'UNSIGNED_CLOSED',
        'GENERIC_NOT_FOUND',
        'NO_HEADERS',
      ];
      expect(FAULT_KINDS).toEqual(expect.arrayContaining(added));
      expect(RECOVERABLE_FAULTS).toEqual(expect.arrayContaining(added.filter((k) => k !== 'GENERIC_NOT_FOUND')));
      // Like PARAM_ERROR, a signed generic 404 (a wrong URL) needs a human in the product.
      expect(FAULT_KINDS.filter((k) => !RECOVERABLE_FAULTS.includes(k))).toEqual(['PARAM_ERROR', 'GENERIC_NOT_FOUND']);
      expect(added.filter((k) => AFTER_EFFECT.has(k))).toEqual(['NO_HEADERS']);
      expect([...AFTER_EFFECT].sort()).toEqual(
        [
          'DELAY',
          'TAMPER',
          'SIGNTEST',
          'NO_SIGNATURE',
          'WRONG_SERIAL',
          'SKEW',
          'OVERSIZE',
          'SLOW_DRIP',
          'NO_HEADERS',
          // The trade bill's: the apply answered (a URL issued) without its signature, the file served not the one
          // hashed.
          'BILL_APPLY_UNSIGNED',
          'BILL_CORRUPT',
        ].sort(),
      );
    });

    const rows: [FaultKind, number, string, 'signed' | 'none', TradeState][] = [
      ['RATE_LIMIT', 429, 'RATELIMIT_EXCEEDED', 'signed', 'PAYING'],
      ['RATE_LIMIT_RETRY_AFTER', 429, 'RATELIMIT_EXCEEDED', 'signed', 'PAYING'],
      ['FREQUENCY_LIMITED', 403, 'FREQUENCY_LIMITED', 'signed', 'PAYING'],
      ['ACCEPTED_202', 202, 'USER_PAYING', 'signed', 'PAYING'],
      ['UNSIGNED_NOT_EXIST', 404, 'ORDER_NOT_EXIST', 'none', 'PAYING'],
      ['UNSIGNED_CLOSED', 400, 'ORDER_CLOSED', 'none', 'PAYING'],
      ['GENERIC_NOT_FOUND', 404, 'NOT_FOUND', 'signed', 'PAYING'],
      ['NO_HEADERS', 204, '(empty body)', 'none', 'CLOSED'],
    ];
    it.each(rows)(
      'reverse with %s → %i %s, Wechatpay-* headers: %s, order then %s; the retry gets the real answer',
      async (kind, status, code, headers, stateAfter) => {
        const input = order('K');
        await seedOrder(peer.url, input, 'PAYING');
        peer.faults.add({ route: 'reverse', kind, count: 1, orderNo: input.combineOutTradeNo });
        const answer = await reverse(input);
        expect(answer.status).toBe(status);
        expect(answer.json?.code).toBe(status === 204 ? undefined : code);
        expect(answer.retryAfter).toBe(kind === 'RATE_LIMIT_RETRY_AFTER' ? '3' : undefined);
        if (headers === 'signed') {
          expect(answer.wechatpayHeaders.sort()).toEqual([
            'wechatpay-nonce',
            'wechatpay-serial',
            'wechatpay-signature',
            'wechatpay-timestamp',
          ]);
          expect(answer.verified).toBe(true);
        } else {
          expect(answer.wechatpayHeaders).toEqual([]);
        }
        expect(lastEntry(input)).toMatchObject({ fault: kind, status, answerVerifiable: headers === 'signed' });
        expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe(stateAfter);
        // Recoverable: the next attempt is processed (or answered as a repeat) and signed.
        expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
        expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
      },
    );

    it('faults apply to the query too: NO_HEADERS strips all four headers from the 200, NO_SIGNATURE only one', async () => {
      const input = order('H');
      await seedOrder(peer.url, input, 'SUCCESS');
      peer.faults.add({ route: 'query', kind: 'NO_HEADERS', count: 1, orderNo: input.combineOutTradeNo });
      peer.faults.add({ route: 'query', kind: 'NO_SIGNATURE', count: 1, orderNo: input.combineOutTradeNo });
      const stripped = await query(input);
      expect(stripped).toMatchObject({ status: 200, verified: false, wechatpayHeaders: [] });
      expect(subStates(stripped).map((s) => s.state)).toEqual(['SUCCESS', 'SUCCESS']);
      const unsignedOnly = await query(input);
      expect(unsignedOnly).toMatchObject({ status: 200, verified: false });
      expect(unsignedOnly.wechatpayHeaders.sort()).toEqual([
        'wechatpay-nonce',
        'wechatpay-serial',
        'wechatpay-timestamp',
      ]);
      expect(await query(input)).toMatchObject({ status: 200, verified: true });
      const logged = peer.log.filter((e) => e.orderNo === input.combineOutTradeNo);
      expect(logged.map((e) => e.answerVerifiable)).toEqual([false, false, true]);
    });

    it('UNSIGNED_NOT_EXIST on a query of an existing order answers an unsigned 404', async () => {
      const input = order('E');
      await seedOrder(peer.url, input, 'SUCCESS');
      peer.faults.add({ route: 'query', kind: 'UNSIGNED_NOT_EXIST', count: 1, orderNo: input.combineOutTradeNo });
      expect(await query(input)).toMatchObject({ status: 404, verified: false, wechatpayHeaders: [] });
      expect(await query(input)).toMatchObject({ status: 200, verified: true });
    });
  });
  describe('replayed answers', () => {
    /** What a byte-exact copy must repeat: status, body and the four Wechatpay-* headers. */
    const bytes = (a: Answer) => ({ status: a.status, body: a.body, wechatpay: a.wechatpay });

    it('REPLAY_NOT_EXIST with no recent "no such order": one is made for a random order, logged, and replayed as is', async () => {
      const fresh = await startWechatpayPeer(identity);
      const get = (uri: string) => callAt(fresh, 'GET', uri);
      try {
        const input = order('RN');
        await seedOrder(fresh.url, input, 'SUCCESS');
        fresh.faults.add({ route: 'query', kind: 'REPLAY_NOT_EXIST', count: 1, orderNo: input.combineOutTradeNo });
        const replayed = await get(`${BASE}/${input.combineOutTradeNo}`);
        expect(replayed).toMatchObject({ status: 404, verified: true, json: { code: 'ORDER_NOT_EXIST' } });
        const [request, made] = fresh.log.slice(-2);
        expect(made).toMatchObject({
          route: 'query',
          method: 'GET',
          status: 404,
          code: 'ORDER_NOT_EXIST',
          answerVerifiable: true,
          answerNonce: replayed.wechatpay['wechatpay-nonce'],
        });
        expect(made!.orderNo).not.toBe(input.combineOutTradeNo);
        expect(fresh.orders.has(made!.orderNo!)).toBe(false);
        expect(request).toMatchObject({
          orderNo: input.combineOutTradeNo,
          fault: 'REPLAY_NOT_EXIST',
          status: 404,
          code: 'ORDER_NOT_EXIST',
          answerVerifiable: true,
          answerNonce: replayed.wechatpay['wechatpay-nonce'],
          replayOf: made!.seq,
        });
        // The body is what a real "no such order" says, byte for byte.
        const genuine = await get(`${BASE}/${order('RX').combineOutTradeNo}`);
        expect(replayed.body).toBe(genuine.body);
        // The retry gets the real, fresh answer; the order was never touched.
        expect(await get(`${BASE}/${input.combineOutTradeNo}`)).toMatchObject({ status: 200, verified: true });
      } finally {
        await fresh.close();
      }
    });

    it('REPLAY_NOT_EXIST replays the last signed "no such order" to any order, the same bytes each time, on query and reverse', async () => {
      const unknown = order('RU');
      const genuine = await query(unknown);
      expect(genuine).toMatchObject({ status: 404, verified: true });
      const genuineSeq = lastEntry(unknown)!.seq;
      const input = order('RQ');
      await seedOrder(peer.url, input, 'PAYING');
      peer.faults.add({ route: '*', kind: 'REPLAY_NOT_EXIST', count: 2, orderNo: input.combineOutTradeNo });
      const first = await query(input);
      expect(bytes(first)).toEqual(bytes(genuine));
      expect(first.verified).toBe(true);
      const second = await reverse(input);
      expect(bytes(second)).toEqual(bytes(genuine));
      const logged = peer.log.filter((e) => e.orderNo === input.combineOutTradeNo);
      expect(logged.map((e) => [e.route, e.fault, e.status, e.answerNonce, e.replayOf])).toEqual([
        ['query', 'REPLAY_NOT_EXIST', 404, genuine.wechatpay['wechatpay-nonce'], genuineSeq],
        ['reverse', 'REPLAY_NOT_EXIST', 404, genuine.wechatpay['wechatpay-nonce'], genuineSeq],
      ]);
      // Not processed: the order is still unpaid; the retry reverses it with a fresh answer.
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('PAYING');
      const retry = await reverse(input);
      expect(retry).toMatchObject({ status: 204, verified: true });
      expect(retry.wechatpay['wechatpay-nonce']).not.toBe(genuine.wechatpay['wechatpay-nonce']);
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
    });

    it('REPLAY_NOT_EXIST makes a new one once the last is older than 4 minutes; never on a pay', async () => {
      await query(order('RO'));
      const kept = peer.sent.freshNotExist()!;
      expect(peer.sent.freshNotExist(kept.at + NOT_EXIST_REPLAY_MS + 1)).toBeUndefined();
      kept.at -= NOT_EXIST_REPLAY_MS + 1;
      const input = order('RA');
      await seedOrder(peer.url, input, 'SUCCESS');
      peer.faults.add({ route: 'query', kind: 'REPLAY_NOT_EXIST', count: 1, orderNo: input.combineOutTradeNo });
      const replayed = await query(input);
      expect(replayed).toMatchObject({ status: 404, verified: true });
      expect(replayed.body).toBe(kept.body);
      expect(replayed.wechatpay['wechatpay-nonce']).not.toBe(kept.headers['Wechatpay-Nonce']);
      const made = peer.log.find((e) => e.seq === lastEntry(input)!.replayOf)!;
      expect(made.orderNo).not.toBe(input.combineOutTradeNo);
      expect(() => peer.faults.add({ route: 'pay', kind: 'REPLAY_NOT_EXIST', count: 1 })).toThrow(
        'route must be * or query or reverse for REPLAY_NOT_EXIST',
      );
    });

    it('REPLAY_LAST answers with the last signed answer to this order on this route, byte for byte', async () => {
      const input = order('RL');
      await seedOrder(peer.url, input, 'PAYING');
      const firstQuery = await query(input);
      const queried = lastEntry(input)!;
      const firstReverse = await reverse(input);
      const reversed = lastEntry(input)!;
      expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('CLOSED');
      peer.faults.add({ route: 'query', kind: 'REPLAY_LAST', count: 1, orderNo: input.combineOutTradeNo });
      peer.faults.add({ route: 'reverse', kind: 'REPLAY_LAST', count: 1, orderNo: input.combineOutTradeNo });
      // A stale answer: it still says USERPAYING, with the nonce that already came once.
      const stale = await query(input);
      expect(bytes(stale)).toEqual(bytes(firstQuery));
      expect(subStates(stale).map((s) => s.state)).toEqual(['USERPAYING', 'USERPAYING']);
      expect(lastEntry(input)).toMatchObject({
        fault: 'REPLAY_LAST',
        status: 200,
        answerVerifiable: true,
        answerNonce: queried.answerNonce,
        replayOf: queried.seq,
      });
      const again = await reverse(input);
      expect(bytes(again)).toEqual(bytes(firstReverse));
      expect(lastEntry(input)).toMatchObject({ fault: 'REPLAY_LAST', status: 204, replayOf: reversed.seq });
      expect(peer.orders.get(input.combineOutTradeNo)?.reverseRequests).toBe(1);
      // The retry gets a fresh answer.
      const retry = await query(input);
      expect(subStates(retry).map((s) => s.state)).toEqual(['CLOSED', 'CLOSED']);
      expect(retry.wechatpay['wechatpay-nonce']).not.toBe(queried.answerNonce);
    });

    it('REPLAY_LAST with no earlier answer to this order on this route: processed as usual, no fault counted', async () => {
      const input = order('RF');
      await seedOrder(peer.url, input, 'SUCCESS');
      await query(input);
      const before = peer.faults.injected.get('REPLAY_LAST') ?? 0;
      peer.faults.add({ route: 'reverse', kind: 'REPLAY_LAST', count: 1, orderNo: input.combineOutTradeNo });
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(lastEntry(input)).toMatchObject({ effect: { from: 'SUCCESS', to: 'REFUND' } });
      expect(lastEntry(input)?.fault).toBeUndefined();
      expect(peer.faults.list()[0]).toMatchObject({ fired: 0 });
      expect(peer.faults.injected.get('REPLAY_LAST') ?? 0).toBe(before);
      // Now there is one: the repeat's answer is the first reverse's 204.
      expect(await reverse(input)).toMatchObject({ status: 204 });
      expect(lastEntry(input)).toMatchObject({ fault: 'REPLAY_LAST', replayOf: lastEntry(input)!.seq - 1 });
    });
  });

  describe('answers signed before the request, and a peer clock that is off', () => {
    const rows = [
      ['STALE_ANSWER', 'reverse', 204],
      ['STALE_ANSWER', 'query', 404],
      ['STALE_ANSWER_DATED', 'reverse', 204],
      ['STALE_ANSWER_DATED', 'query', 404],
    ] as const;
    it.each(rows)(
      '%s on a %s: a %i correctly signed a minute before, under a nonce never given; the request not processed',
      async (kind, route, status) => {
        const input = order('ST');
        await seedOrder(peer.url, input, 'PAYING');
        peer.faults.add({ route, kind, count: 1, orderNo: input.combineOutTradeNo });
        const asked = Math.floor(Date.now() / 1_000);
        const stale = route === 'query' ? await query(input) : await reverse(input);
        expect(stale).toMatchObject({ status, verified: true });
        const signedAt = Number(stale.wechatpay['wechatpay-timestamp']);
        expect(asked - signedAt).toBeGreaterThanOrEqual(STALE_ANSWER_AGE_S);
        expect(asked - signedAt).toBeLessThanOrEqual(STALE_ANSWER_AGE_S + 1);
        // The captured copy's own Date (as old as its signature), or the peer's now.
        const dated = Date.parse(stale.date!) / 1_000;
        if (kind === 'STALE_ANSWER_DATED') expect(dated).toBe(signedAt);
        else expect(Math.abs(dated - asked)).toBeLessThanOrEqual(2);
        // The body of a real "no such order" (it fits any order), or none: a 204 fits any order too.
        expect(stale.body).toBe(status === 204 ? '' : (await query(order('SX'))).body);
        const nonce = stale.wechatpay['wechatpay-nonce'];
        expect(peer.log.filter((e) => e.answerNonce === nonce)).toHaveLength(1);
        expect(lastEntry(input)).toMatchObject({
          fault: kind,
          status,
          answerVerifiable: true,
          answerTimestamp: signedAt,
        });
        expect(peer.orders.get(input.combineOutTradeNo)?.state).toBe('PAYING');
        const retry = route === 'query' ? await query(input) : await reverse(input);
        expect(retry).toMatchObject({ status: route === 'query' ? 200 : 204, verified: true });
        expect(Number(retry.wechatpay['wechatpay-timestamp'])).toBeGreaterThanOrEqual(asked);
      },
    );

    it('stale answers act on query and reverse only', () => {
      expect(() => peer.faults.add({ route: 'pay', kind: 'STALE_ANSWER', count: 1 })).toThrow(
        'route must be * or query or reverse for STALE_ANSWER',
      );
    });

    it("clockOffsetMs moves the peer's Date, the timestamp it signs and its check of callers' timestamps", async () => {
      const settings = await changePeerSettings(peer.url, { clockOffsetMs: -90_000 });
      expect(settings.clockOffsetMs).toBe(-90_000);
      const input = order('CO');
      await seedOrder(peer.url, input, 'SUCCESS');
      const asked = Math.floor(Date.now() / 1_000);
      // Our request is 90 s ahead of the peer's clock: within its ±5 minutes.
      const behind = await query(input);
      expect(behind).toMatchObject({ status: 200, verified: true });
      const signedAt = Number(behind.wechatpay['wechatpay-timestamp']);
      expect(Math.abs(asked - 90 - signedAt)).toBeLessThanOrEqual(1);
      expect(Math.abs(Date.parse(behind.date!) / 1_000 - signedAt)).toBeLessThanOrEqual(1);
      expect(lastEntry(input)).toMatchObject({ answerTimestamp: signedAt, clockOffsetMs: -90_000 });
      // A stale answer is a minute before the peer's now.
      peer.faults.add({ route: 'query', kind: 'STALE_ANSWER', count: 1, orderNo: input.combineOutTradeNo });
      const stale = await query(input);
      expect(
        Math.abs(asked - 90 - STALE_ANSWER_AGE_S - Number(stale.wechatpay['wechatpay-timestamp'])),
      ).toBeLessThanOrEqual(1);
      // Beyond ±5 minutes the peer refuses our signature, as WeChat Pay does.
      peer.settings.clockOffsetMs = -301_000;
      expect(await query(input)).toMatchObject({ status: 401, json: { code: 'SIGN_ERROR' } });
      expect(lastEntry(input)?.authProblem).toBe('timestamp outside ±300 s');
      for (const bad of [300_001, 1.5, '0']) {
        const refused = await admin('POST', 'settings', { clockOffsetMs: bad });
        expect(refused).toEqual({
          status: 400,
          json: { error: 'clockOffsetMs must be a whole number from -300000 to 300000' },
        });
      }
    });
  });

  describe('query answers that do not match the order', () => {
    type WireSub = { mchid: string; out_trade_no: string; sub_mchid: string; transaction_id?: string };
    const subsOf = (a: Answer) => a.json?.sub_orders as WireSub[];
    const rows: [FaultKind, number, (real: Answer, got: Answer) => void][] = [
      ['FOREIGN_MCHID', 2, (real, got) => expect(got.json).toEqual({ ...real.json, combine_mchid: '1900000000' })],
      [
        'EXTRA_SUB_ORDER',
        2,
        (real, got) => {
          const [a, b, extra] = subsOf(got);
          expect([a, b]).toEqual(subsOf(real));
          expect(extra).toMatchObject({ mchid: b!.mchid, sub_mchid: b!.sub_mchid, trade_state: 'SUCCESS' });
          expect(subsOf(real).map((s) => s.out_trade_no)).not.toContain(extra!.out_trade_no);
          expect(extra!.transaction_id).toMatch(/^42000/);
          expect(subsOf(real).map((s) => s.transaction_id)).not.toContain(extra!.transaction_id);
        },
      ],
      [
        'SUB_MCHID_MISMATCH',
        2,
        (real, got) => {
          const [first, ...rest] = subsOf(real);
          expect(subsOf(got)).toEqual([{ ...first, sub_mchid: '1999999999' }, ...rest]);
        },
      ],
      ['MISSING_SUB_ORDER', 2, (real, got) => expect(subsOf(got)).toEqual(subsOf(real).slice(0, 1))],
      [
        'MISSING_SUB_ORDER',
        1,
        (real, got) => {
          const [only] = subsOf(got);
          expect(subsOf(got)).toHaveLength(1);
          expect(only!.out_trade_no).not.toBe(subsOf(real)[0]!.out_trade_no);
          expect({ ...only, out_trade_no: 'X' }).toEqual({ ...subsOf(real)[0], out_trade_no: 'X' });
        },
      ],
    ];
    it.each(rows)(
      '%s (%i sub-orders): a signed 200 that differs from the order only there; the retry gets the real answer',
      async (kind, subs, check) => {
        const input = order('W', subs);
        await seedOrder(peer.url, input, 'SUCCESS');
        peer.faults.add({ route: 'query', kind, count: 1, orderNo: input.combineOutTradeNo });
        const got = await query(input);
        expect(got).toMatchObject({ status: 200, verified: true });
        expect(lastEntry(input)).toMatchObject({ fault: kind, status: 200, answerVerifiable: true });
        const real = await query(input);
        expect(real).toMatchObject({ status: 200, verified: true, json: { combine_mchid: identity.mchid } });
        expect(lastEntry(input)?.fault).toBeUndefined();
        expect(got.json).toMatchObject({
          combine_appid: input.combineAppid,
          combine_out_trade_no: input.combineOutTradeNo,
        });
        check(real, got);
      },
    );

    it('do not act on an unknown order (the normal 404, not counted) nor on other routes', async () => {
      const input = order('W');
      peer.faults.add({ route: '*', kind: 'FOREIGN_MCHID', count: 1, orderNo: input.combineOutTradeNo });
      expect(await query(input)).toMatchObject({ status: 404, verified: true, json: { code: 'ORDER_NOT_EXIST' } });
      expect(lastEntry(input)?.fault).toBeUndefined();
      await seedOrder(peer.url, input, 'SUCCESS');
      expect(await reverse(input)).toMatchObject({ status: 204, verified: true });
      expect(lastEntry(input)?.fault).toBeUndefined();
      expect(peer.faults.list()[0]).toMatchObject({ fired: 0 });
      expect(await query(input)).toMatchObject({ status: 200, json: { combine_mchid: '1900000000' } });
      expect(lastEntry(input)?.fault).toBe('FOREIGN_MCHID');
      expect(recoverableOn('reverse')).not.toContain('FOREIGN_MCHID');
      expect(recoverableOn('query')).toEqual(expect.arrayContaining(['FOREIGN_MCHID', 'MISSING_SUB_ORDER']));
    });

    it('a rule naming a route they cannot act on is refused, naming the field', async () => {
      expect(() => peer.faults.add({ route: 'reverse', kind: 'EXTRA_SUB_ORDER', count: 1 })).toThrow(
        'route must be * or query for EXTRA_SUB_ORDER',
      );
      expect(await admin('POST', 'faults', { route: 'pay', kind: 'SUB_MCHID_MISMATCH', count: 1 })).toMatchObject({
        status: 400,
        json: { error: 'route must be * or query for SUB_MCHID_MISMATCH' },
      });
      expect(peer.faults.list()).toEqual([]);
    });
  });
});

describe('order-service stub over HTTP', () => {
  let service: OrderService;

  beforeAll(async () => {
    service = await startOrderService({ secrets: SECRET });
  });
  afterAll(async () => {
    await service.close();
  });
  beforeEach(() => {
    service.faults.clear();
    service.setSecrets([SECRET]);
  });

  /**
   * Posts a Standard Webhook signed here, independently of the product's code: `v1,<base64 HMAC-SHA256 of
   * "<id>.<timestamp>.<body>">` with the key `secret` names (`old`: the retired `X-Compensation-Signature` scheme).
   */
  async function post(
    url: string,
    type: string,
    data: Record<string, unknown>,
    id: string,
    options: { scheme?: 'webhook' | 'old'; signedId?: string; secret?: string } = {},
  ) {
    const text = JSON.stringify({ type, timestamp: new Date().toISOString(), data });
    const ts = String(Math.floor(Date.now() / 1000));
    const key = Buffer.from((options.secret ?? SECRET).slice('whsec_'.length), 'base64');
    const mac = (message: string, encoding: 'base64' | 'hex'): string =>
      createHmac('sha256', key).update(message).digest(encoding);
    const headers: Record<string, string> =
      options.scheme === 'old'
        ? {
            'Idempotency-Key': id,
            'X-Compensation-Timestamp': ts,
            'X-Compensation-Signature': `sha256=${mac(`${ts}.${id}.${text}`, 'hex')}`,
          }
        : {
            'webhook-id': id,
            'webhook-timestamp': ts,
            'webhook-signature': `v1,${mac(`${options.signedId ?? id}.${ts}.${text}`, 'base64')}`,
            'Idempotency-Key': id,
          };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: text,
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  const compensation = () => {
    const no = newOrderNo('C');
    return {
      combineOutTradeNo: no,
      outTradeNo: `${no.slice(0, 28)}S1`,
      mchid: '1900000109',
      subMchid: '1900000001',
      reason: 'PAYMENT_TIMEOUT',
      reverseOutcome: 'REVERSED',
      tradeState: 'CLOSED',
    };
  };
  const confirmation = (no: string) => ({
    combineOutTradeNo: no,
    source: 'WECHATPAY_QUERY',
    subOrders: [
      { outTradeNo: `${no}A`.slice(0, 32), mchid: '1900000109', subMchid: '1900000001', transactionId: '4200001' },
      { outTradeNo: `${no}B`.slice(0, 32), mchid: '1900000109', subMchid: '1900000002' },
    ],
  });

  it('verifies a Standard Webhook (id.timestamp.body), refuses the retired X-Compensation-Signature scheme and a changed id', async () => {
    const data = compensation();
    const id = `compensation:${data.combineOutTradeNo}:${data.outTradeNo}`;
    expect(await post(service.url, 'sub_order.compensate', data, id, { scheme: 'old' })).toMatchObject({ status: 401 });
    expect(service.log.at(-1)).toMatchObject({ route: 'compensate', signatureOk: false, refusal: 'MISSING_HEADER' });
    expect(service.compensated.has(id)).toBe(false);
    expect(await post(service.url, 'sub_order.compensate', data, id)).toMatchObject({ status: 200 });
    expect(service.log.at(-1)).toMatchObject({
      route: 'compensate',
      webhookId: id,
      signatureOk: true,
      effective: true,
    });
    expect(service.compensated.get(id)).toMatchObject({ type: 'sub_order.compensate', data, count: 1 });
    expect(await post(service.url, 'sub_order.compensate', data, id)).toMatchObject({ status: 409 });
    // The id is signed: a body signed under one id does not verify under another.
    expect(await post(service.url, 'sub_order.compensate', data, id, { signedId: `${id}x` })).toMatchObject({
      status: 401,
      json: { refusal: 'BAD_SIGNATURE' },
    });
    expect(service.compensated.get(id)?.count).toBe(2);
  });

  it('records payment confirmations on their own route, deduplicated with 409; a compensation there is refused', async () => {
    const no = newOrderNo('PC');
    const data = confirmation(no);
    const id = `confirmation:${no}`;
    expect(service.confirmationUrl).toMatch(/\/payment-confirmations$/);
    service.faults.add({ route: 'confirm', kind: '503', count: 1, orderNo: no });
    expect(await post(service.confirmationUrl, 'order.paid', data, id)).toMatchObject({ status: 503 });
    expect(await post(service.confirmationUrl, 'order.paid', data, id)).toMatchObject({ status: 200 });
    expect(await post(service.confirmationUrl, 'order.paid', data, id)).toMatchObject({ status: 409 });
    expect(await post(service.confirmationUrl, 'order.paid', data, id, { scheme: 'old' })).toMatchObject({
      status: 401,
    });
    const paid = { ...compensation(), combineOutTradeNo: no, outTradeNo: 'paid' };
    expect(await post(service.confirmationUrl, 'sub_order.compensate', paid, `compensation:${no}:paid`)).toMatchObject({
      status: 400,
      json: { refusal: 'WRONG_PURPOSE' },
    });
    const logged = service.log.filter((e) => e.combineOutTradeNo === no);
    expect(logged.map((e) => [e.route, e.status, e.effective])).toEqual([
      ['confirm', 503, false],
      ['confirm', 200, true],
      ['confirm', 409, false],
      ['confirm', 401, false],
      ['confirm', 400, false],
    ]);
    expect(service.confirmations.get(id)).toMatchObject({ data, count: 2 });
    expect(service.compensated.has(`compensation:${no}:paid`)).toBe(false);
  });

  it('refuses a confirmation with a bad sub-order, naming the field, or under an id its data does not imply', async () => {
    const no = newOrderNo('PB');
    const bad = { ...confirmation(no), subOrders: [{ outTradeNo: 'S1', mchid: '1900000109' }] };
    expect(await post(service.confirmationUrl, 'order.paid', bad, `confirmation:${no}`)).toMatchObject({
      status: 400,
      json: { error: 'data.subOrders[0].subMchid must be a non-empty string', refusal: 'BAD_BODY' },
    });
    expect(await post(service.confirmationUrl, 'order.paid', confirmation(no), `confirmation:${no}x`)).toMatchObject({
      status: 400,
      json: { refusal: 'KEY_MISMATCH' },
    });
    expect(service.confirmations.has(`confirmation:${no}`)).toBe(false);
  });

  it('simulates a secret rotation: 401 until the new secret is added (API or admin route); 401/403 faults for a count', async () => {
    const next = `whsec_${randomBytes(32).toString('base64')}`;
    const data = compensation();
    const id = `compensation:${data.combineOutTradeNo}:${data.outTradeNo}`;
    expect(await post(service.url, 'sub_order.compensate', data, id, { secret: next })).toMatchObject({ status: 401 });
    const admin = `${service.url.replace('/compensations', '')}/__admin/secrets`;
    const added = await fetch(admin, { method: 'POST', body: JSON.stringify({ secret: next }) });
    expect(await added.json()).toEqual({ secrets: 2 });
    expect(await post(service.url, 'sub_order.compensate', data, id, { secret: next })).toMatchObject({ status: 200 });
    service.setSecrets([next]);
    expect(await (await fetch(admin)).json()).toEqual({ secrets: 1 });
    const other = compensation();
    service.faults.add({ kind: '403', count: 1, orderNo: other.outTradeNo });
    service.faults.add({ kind: '401', count: 1, orderNo: other.outTradeNo });
    const otherId = `compensation:${other.combineOutTradeNo}:${other.outTradeNo}`;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      statuses.push((await post(service.url, 'sub_order.compensate', other, otherId, { secret: next })).status);
    }
    expect(statuses).toEqual([403, 401, 200]);
    const refusedAdmin = await fetch(admin, { method: 'PUT', body: JSON.stringify({ secrets: ['plain'] }) });
    expect(refusedAdmin.status).toBe(400);
  });
});
