/**
 * The real activities against the simulator's peers over real HTTP: requests signed with a real RSA key and checked
 * by the peer, answers signed by the peer and verified by the plugin; one case per row of the answer tables, every
 * answer produced by the peer (never hand-built).
 */
import type { TradeState as PeerTradeState } from '../../tools/simulator/wechatpay/orders';
import { type FaultKind } from '../../tools/simulator/wechatpay/fault-table';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import type { Info } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCompensationActivity } from '../../activities/compensation';
import { createConfirmationActivity } from '../../activities/confirmation';
import { createQueryActivity } from '../../activities/query';
import { createReverseActivity } from '../../activities/reverse';
import { createWechatpayClient, type WechatpayCall } from '../../wechatpay/client';
import { ClockOffsetEstimate, OFFSET_MIN_SAMPLES } from '../../wechatpay/freshness';
import { NonceMemory } from '../../wechatpay/nonces';
import { loadWorkerConfig } from '../../worker/config';
import type { Metrics } from '../../activities/metrics';
import { workerEnvFor } from '../../tools/simulator/keys';
import { startWechatpayPeer, type WechatpayPeer } from '../../tools/simulator/wechatpay/peer';
import { startOrderService, type OrderService } from '../../tools/simulator/order-service';
import { type CompensationRequest, ErrorType, type PaymentConfirmationRequest } from '../../workflows/contract';
import type { QueryRequest, QueryResult, ReverseRequest, ReverseResult } from '../../activities/types';
import { fileLogger, workerLogFile } from '../harness/env';
import { orderNo } from '../harness/orders';
import { TEST_HMAC_SECRET, recordErrorText, seedOrder, testIdentity } from '../harness/stack';

const CLIENT_TIMEOUT_MS = 1_000;

function reverseRequest(no = orderNo('R')): ReverseRequest {
  return {
    combineOutTradeNo: no,
    combineAppid: 'wxd678efh567hg6787',
    subOrders: [
      { mchid: '1900000109', outTradeNo: `${no.slice(0, 28)}S1`, subMchid: '1900000001' },
      { mchid: '1900000109', outTradeNo: `${no.slice(0, 28)}S2`, subMchid: '1900000002', subAppid: 'wx1234567890' },
    ],
    refuseNonces: [],
  };
}

async function runActivity<T>(fn: () => Promise<T>, info: Partial<Info> = {}): Promise<T | ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt: 1, ...info }, { logger: fileLogger() });
  try {
    return await env.run(fn);
  } catch (err) {
    if (err instanceof ApplicationFailure) {
      recordErrorText(`${err.type}: ${err.message} ${JSON.stringify(err.details)}`);
      return err;
    }
    throw err;
  }
}

function failure(result: unknown): ApplicationFailure {
  expect(result).toBeInstanceOf(ApplicationFailure);
  return result as ApplicationFailure;
}

/** Metrics that remember what was recorded. */
function recordingMetrics() {
  const answers: string[] = [];
  const unsigned: WechatpayCall[] = [];
  const stale: WechatpayCall[] = [];
  const downstream: string[] = [];
  const metrics: Metrics = {
    wechatpayAnswer: (call, answerClass) => answers.push(`${call} ${answerClass}`),
    unsignedAnswer: (call) => unsigned.push(call),
    staleAnswer: (call) => stale.push(call),
    compensationFailure: (kind) => downstream.push(`compensation ${kind}`),
    confirmationFailure: (kind) => downstream.push(`confirmation ${kind}`),
    downstreamUnauthorized: (call) => downstream.push(`${call} unauthorized`),
    billMismatch: (kind) => downstream.push(`bill ${kind}`),
  };
  return {
    metrics,
    answers,
    unsigned,
    stale,
    downstream,
    clear() {
      answers.length = 0;
      unsigned.length = 0;
      stale.length = 0;
      downstream.length = 0;
    },
  };
}

describe('WeChat Pay activities (query and reverse, one client) against the WeChat Pay peer', () => {
  let peer: WechatpayPeer;
  let reverse: (req: ReverseRequest) => Promise<ReverseResult>;
  let query: (req: QueryRequest) => Promise<QueryResult>;
  const identity = testIdentity();
  const recorded = recordingMetrics();

  /** The activities of a worker process; `fresh`: a brand-new one (its own nonce memory and clock estimate). */
  const makeActivities = (
    mode: 'PUBLIC_KEY' | 'PLATFORM_CERT',
    extraEnv: Record<string, string> = {},
    fresh?: { nonces: NonceMemory; clock: ClockOffsetEstimate },
  ) => {
    const config = loadWorkerConfig({
      ...workerEnvFor(identity, { wechatpay: peer.url, compensation: 'http://127.0.0.1:9/compensations' }, mode),
      COMPENSATION_HMAC_SECRET: TEST_HMAC_SECRET,
      WECHATPAY_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      ...extraEnv,
    });
    const deps = {
      client: fresh
        ? createWechatpayClient(config.wechatpay, fresh.nonces, fresh.clock)
        : createWechatpayClient(config.wechatpay),
      authRetryDelayMs: 7_000,
      metrics: recorded.metrics,
    };
    return { reverse: createReverseActivity(deps), query: createQueryActivity(deps) };
  };
  const makeReverse = (mode: 'PUBLIC_KEY' | 'PLATFORM_CERT', extraEnv: Record<string, string> = {}) =>
    makeActivities(mode, extraEnv).reverse;
  /** The query of the order {@link reverseRequest} describes. */
  const q = (no: string, purpose: QueryRequest['purpose'] = 'RECONCILE'): QueryRequest => ({
    combineOutTradeNo: no,
    subOrders: reverseRequest(no).subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid })),
    purpose,
    refuseNonces: [],
  });
  const fault = (route: 'reverse' | 'query', kind: FaultKind, no: string) =>
    peer.faults.add({ route, kind, count: 1, orderNo: no });
  /** Seeds an order with per-sub-order states through the peer's admin API. */
  const seedWithStates = async (
    req: ReverseRequest,
    state: PeerTradeState,
    subStates: Record<string, PeerTradeState>,
  ): Promise<void> => {
    const res = await fetch(`${peer.url}__admin/orders`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        combine_out_trade_no: req.combineOutTradeNo,
        combine_appid: req.combineAppid,
        sub_orders: req.subOrders.map((s) => ({ mchid: s.mchid, out_trade_no: s.outTradeNo, sub_mchid: s.subMchid })),
        state,
        sub_states: subStates,
      }),
    });
    expect(res.status).toBe(201);
  };
  const logged = (no: string) => peer.log.filter((e) => e.orderNo === no);

  beforeAll(async () => {
    peer = await startWechatpayPeer(identity, { settings: { delayMs: 2_500 } });
    ({ reverse, query } = makeActivities('PUBLIC_KEY'));
  });
  afterAll(async () => {
    await peer.close();
  });
  beforeEach(() => {
    peer.faults.clear();
    peer.settings.repeatReversePolicy = 'NO_CONTENT';
    peer.settings.signWith = 'PUBLIC_KEY';
    peer.settings.clockOffsetMs = 0;
    recorded.clear();
  });

  describe('reverse', () => {
    it('sends a signed POST the peer verifies, with exactly the documented body and Wechatpay-Serial, and accepts the signed 204', async () => {
      const req = reverseRequest('R|2026*11@27-x_y');
      await seedOrder(peer, req);
      const result = await runActivity(() => reverse(req));
      const entries = logged(req.combineOutTradeNo);
      // The accepted answer is tied to the very exchange the peer signed: its Wechatpay-Nonce.
      expect(result).toEqual({
        outcome: 'REVERSED',
        httpStatus: 204,
        verified: true,
        attempt: 1,
        host: 'main',
        answerNonce: entries[0]?.answerNonce,
      });
      expect(entries[0]?.answerNonce).toMatch(/^[0-9a-f]{32}$/);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ route: 'reverse', status: 204, wechatpaySerial: identity.publicKeyId });
      expect(entries[0]?.authProblem).toBeUndefined();
      expect(entries[0]?.effect).toMatchObject({ to: 'CLOSED' });
      expect(recorded.answers).toEqual(['reverse ACCEPTED']);
    });

    it('refunds a paid order (reverse of SUCCESS → REFUND), and the query then shows every sub-order REFUND', async () => {
      const req = reverseRequest();
      await seedOrder(peer, req, 'SUCCESS');
      expect(await runActivity(() => reverse(req))).toMatchObject({ outcome: 'REVERSED', host: 'main' });
      expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('REFUND');
      const result = await runActivity(() => query(q(req.combineOutTradeNo, 'CONFIRM')));
      expect(result).toMatchObject({ found: true });
      const subs = (result as Extract<QueryResult, { found: true }>).subOrders;
      expect(subs.map((s) => s.tradeState)).toEqual(['REFUND', 'REFUND']);
      expect(subs.every((s) => typeof s.transactionId === 'string')).toBe(true);
    });

    it('treats a signed "no such order" from the main host as accepted (ORDER_NOT_FOUND), verified', async () => {
      const req = reverseRequest();
      const result = await runActivity(() => reverse(req));
      expect(result).toEqual({
        outcome: 'ORDER_NOT_FOUND',
        httpStatus: 404,
        code: 'ORDER_NOT_EXIST',
        verified: true,
        attempt: 1,
        host: 'main',
        answerNonce: logged(req.combineOutTradeNo)[0]?.answerNonce,
      });
    });

    it.each([
      ['NO_CONTENT', { outcome: 'REVERSED', httpStatus: 204 }],
      ['ORDER_CLOSED', { outcome: 'ALREADY_CLOSED', httpStatus: 400, code: 'ORDER_CLOSED', verified: true }],
    ] as const)('accepts a repeated reverse under the %s policy', async (policy, expected) => {
      peer.settings.repeatReversePolicy = policy;
      const req = reverseRequest();
      await seedOrder(peer, req);
      await runActivity(() => reverse(req));
      expect(await runActivity(() => reverse(req))).toMatchObject(expected);
    });

    it('verifies answers signed with a platform certificate in platform-certificate mode', async () => {
      peer.settings.signWith = 'PLATFORM_CERT';
      const certMode = makeReverse('PLATFORM_CERT');
      const req = reverseRequest();
      await seedOrder(peer, req);
      expect(await runActivity(() => certMode(req))).toMatchObject({ outcome: 'REVERSED', verified: true });
      expect(logged(req.combineOutTradeNo)[0]?.wechatpaySerial).toBe(identity.platformSerial);
    });

    it('is refused 401 SIGN_ERROR (unsigned) when signed with the wrong key, and retries slowly', async () => {
      const dir = path.join(process.env.TEST_WORK_DIR!, 'wrong-key');
      fs.mkdirSync(dir, { recursive: true });
      const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
        type: 'pkcs8',
        format: 'pem',
      });
      fs.writeFileSync(path.join(dir, 'key.pem'), wrong);
      const badKey = makeActivities('PUBLIC_KEY', { WECHATPAY_PRIVATE_KEY_PATH: path.join(dir, 'key.pem') });
      const req = reverseRequest();
      await seedOrder(peer, req);
      const err = failure(await runActivity(() => badKey.reverse(req)));
      expect(err.type).toBe(ErrorType.REVERSE_AUTH_FAILED);
      expect(err.nonRetryable).toBe(false);
      expect(err.nextRetryDelay).toBe(7_000);
      expect(logged(req.combineOutTradeNo)[0]).toMatchObject({
        status: 401,
        authProblem: 'signature does not verify',
        answerVerifiable: false,
      });
      expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('PAYING');
      // The query is signed by the same client, and refused the same way.
      const queryErr = failure(await runActivity(() => badKey.query(q(req.combineOutTradeNo))));
      expect(queryErr.type).toBe(ErrorType.QUERY_AUTH_FAILED);
      expect(queryErr.nextRetryDelay).toBe(7_000);
      // 401 answers are never signed: they are not counted as unsigned (that counter is for a stripping proxy).
      expect(recorded.unsigned).toEqual([]);
    });

    const faultRows: [FaultKind, string, boolean, boolean][] = [
      // kind, failure type, took effect at the peer, counted as unsigned
      ['SYSTEM_ERROR', ErrorType.REVERSE_TRANSIENT, false, false],
      ['RATE_LIMIT', ErrorType.REVERSE_TRANSIENT, false, false],
      ['SERVICE_UNAVAILABLE', ErrorType.REVERSE_TRANSIENT, false, false],
      ['RESET', ErrorType.REVERSE_TRANSIENT, false, false],
      ['INVALID_JSON', ErrorType.REVERSE_TRANSIENT, false, true],
      ['ACCEPTED_202', ErrorType.REVERSE_TRANSIENT, false, false],
      ['UNSIGNED_NOT_EXIST', ErrorType.REVERSE_TRANSIENT, false, true],
      ['UNSIGNED_CLOSED', ErrorType.REVERSE_TRANSIENT, false, true],
      ['DELAY', ErrorType.REVERSE_TRANSIENT, true, false],
      ['OVERSIZE', ErrorType.REVERSE_TRANSIENT, true, false],
      ['SLOW_DRIP', ErrorType.REVERSE_TRANSIENT, true, false],
      ['TAMPER', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, false],
      ['SIGNTEST', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, false],
      ['NO_SIGNATURE', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, false],
      ['NO_HEADERS', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, true],
      ['WRONG_SERIAL', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, false],
      ['SKEW', ErrorType.REVERSE_ANSWER_UNVERIFIED, true, false],
      ['SIGN_ERROR', ErrorType.REVERSE_AUTH_FAILED, false, false],
      ['NO_AUTH', ErrorType.REVERSE_AUTH_FAILED, false, false],
    ];
    it.each(faultRows)(
      '%s → %s, never accepted, within the client timeout',
      async (kind, type, tookEffect, countedUnsigned) => {
        const req = reverseRequest();
        await seedOrder(peer, req);
        fault('reverse', kind, req.combineOutTradeNo);
        const started = Date.now();
        const err = failure(await runActivity(() => reverse(req)));
        expect(Date.now() - started).toBeLessThan(CLIENT_TIMEOUT_MS + 1_000);
        expect(err.type).toBe(type);
        expect(err.nonRetryable).toBe(false);
        expect(recorded.unsigned).toEqual(countedUnsigned ? ['reverse'] : []);
        // Whether or not the request took effect at the peer, the next attempt gets a verified answer.
        expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe(tookEffect ? 'CLOSED' : 'PAYING');
        expect(await runActivity(() => reverse(req))).toMatchObject({ outcome: 'REVERSED', verified: true });
      },
    );

    it('a signed 202 USER_PAYING is not "reversed": REVERSE_TRANSIENT, "outcome unknown: query and retry"', async () => {
      const req = reverseRequest();
      await seedOrder(peer, req);
      fault('reverse', 'ACCEPTED_202', req.combineOutTradeNo);
      const err = failure(await runActivity(() => reverse(req)));
      expect(err.type).toBe(ErrorType.REVERSE_TRANSIENT);
      expect(err.message).toMatch(/202 USER_PAYING.*outcome unknown: query and retry/);
      expect(logged(req.combineOutTradeNo)[0]).toMatchObject({ status: 202, answerVerifiable: true });
    });

    it.each(['UNSIGNED_NOT_EXIST', 'UNSIGNED_CLOSED'] as const)(
      'an unsigned %s proves nothing: REVERSE_TRANSIENT, even for an order that does not exist',
      async (kind) => {
        const req = reverseRequest();
        fault('reverse', kind, req.combineOutTradeNo);
        const err = failure(await runActivity(() => reverse(req)));
        expect(err.type).toBe(ErrorType.REVERSE_TRANSIENT);
        expect(err.message).toMatch(/unsigned .*proves nothing/);
        expect(recorded.unsigned).toEqual(['reverse']);
        expect(recorded.answers).toEqual(['reverse TRANSIENT']);
      },
    );

    it('a signed generic 404 NOT_FOUND (wrong URL) → REVERSE_REJECTED, not "no such order"', async () => {
      const req = reverseRequest();
      fault('reverse', 'GENERIC_NOT_FOUND', req.combineOutTradeNo);
      const err = failure(await runActivity(() => reverse(req)));
      expect(err.type).toBe(ErrorType.REVERSE_REJECTED);
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toMatch(/404 NOT_FOUND: wrong URL/);
      expect(logged(req.combineOutTradeNo)[0]).toMatchObject({ status: 404, answerVerifiable: true });
    });

    it('NO_HEADERS on a processed reverse (204 without Wechatpay-* headers) → unverified, retried, counted', async () => {
      const req = reverseRequest();
      await seedOrder(peer, req);
      fault('reverse', 'NO_HEADERS', req.combineOutTradeNo);
      const err = failure(await runActivity(() => reverse(req)));
      expect(err.type).toBe(ErrorType.REVERSE_ANSWER_UNVERIFIED);
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toMatch(/no Wechatpay-\* headers/);
      expect(logged(req.combineOutTradeNo)[0]).toMatchObject({ status: 204 });
      expect(recorded.unsigned).toEqual(['reverse']);
      // It took effect; the retry gets the real, signed answer.
      expect(await runActivity(() => reverse(req))).toMatchObject({ outcome: 'REVERSED', verified: true });
    });

    it('fails over to the backup host after a network fault on the main host, and the peer verifies the same signature there', async () => {
      const failover = makeReverse('PUBLIC_KEY', {
        WECHATPAY_BASE_URL: 'http://127.0.0.1:9/',
        WECHATPAY_BACKUP_BASE_URL: peer.url,
      });
      const req = reverseRequest();
      await seedOrder(peer, req);
      // Attempt 1: the main host refuses connections → transient, remembered as a network fault.
      const heartbeats: unknown[] = [];
      const first = new MockActivityEnvironment({ attempt: 1 }, { logger: fileLogger() });
      first.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const err = await first.run(() => failover(req)).catch((e: unknown) => e);
      expect((err as ApplicationFailure).type).toBe(ErrorType.REVERSE_TRANSIENT);
      expect(heartbeats[0]).toMatchObject({ lastFailure: { network: true, host: 'main' } });
      expect(peer.log.some((e) => e.orderNo === req.combineOutTradeNo)).toBe(false);
      // Attempt 2 sees those details and goes to the backup host.
      const second = new MockActivityEnvironment(
        { attempt: 2, heartbeatDetails: heartbeats[0] },
        { logger: fileLogger() },
      );
      expect(await second.run(() => failover(req))).toMatchObject({
        outcome: 'REVERSED',
        verified: true,
        attempt: 2,
        host: 'backup',
      });
      expect(peer.log.filter((e) => e.orderNo === req.combineOutTradeNo && !e.authProblem)).toHaveLength(1);
    });

    it('a signed "no such order" from the backup host → REVERSE_TRANSIENT (the backup may lag)', async () => {
      const failover = makeReverse('PUBLIC_KEY', {
        WECHATPAY_BASE_URL: 'http://127.0.0.1:9/',
        WECHATPAY_BACKUP_BASE_URL: peer.url,
      });
      const req = reverseRequest();
      const env = new MockActivityEnvironment(
        {
          attempt: 2,
          heartbeatDetails: { lastFailure: { type: ErrorType.REVERSE_TRANSIENT, row: 'x', network: true } },
        },
        { logger: fileLogger() },
      );
      const heartbeats: unknown[] = [];
      env.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const err = (await env.run(() => failover(req)).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err.type).toBe(ErrorType.REVERSE_TRANSIENT);
      expect(err.message).toMatch(/ORDER_NOT_EXIST from the backup host/);
      expect(logged(req.combineOutTradeNo)[0]).toMatchObject({ status: 404, answerVerifiable: true });
      // Not a network fault: the next attempt goes back to the main host.
      expect(heartbeats[0]).toMatchObject({ lastFailure: { network: false, host: 'backup' } });
    });

    it('PARAM_ERROR → REVERSE_REJECTED, non-retryable', async () => {
      const req = reverseRequest();
      await seedOrder(peer, req);
      fault('reverse', 'PARAM_ERROR', req.combineOutTradeNo);
      const err = failure(await runActivity(() => reverse(req)));
      expect(err.type).toBe(ErrorType.REVERSE_REJECTED);
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toMatch(/400 PARAM_ERROR/);
    });

    it('a reverse whose sub-orders do not match the order is rejected (INVALID_REQUEST), not accepted', async () => {
      const req = reverseRequest();
      await seedOrder(peer, req);
      const wrong = { ...req, subOrders: req.subOrders.slice(0, 1) };
      const err = failure(await runActivity(() => reverse(wrong)));
      expect(err.type).toBe(ErrorType.REVERSE_REJECTED);
      expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('PAYING');
    });
  });

  describe('query', () => {
    it('sends a signed GET the peer verifies and returns per-sub-order states, an unknown one kept verbatim', async () => {
      const no = orderNo('Q').slice(0, 24) + '|*@-_x';
      const req = reverseRequest(no);
      req.subOrders.push({ mchid: '1900000109', outTradeNo: `${no.slice(0, 28)}S3`, subMchid: '1900000003' });
      const [s1, s2, s3] = req.subOrders.map((s) => s.outTradeNo) as [string, string, string];
      await seedWithStates(req, 'SUCCESS', { [s2]: 'CLOSED', [s3]: 'ACCEPT' });
      // A state the peer's admin API does not know: set on the peer's order directly; the peer still signs the answer.
      const order = peer.orders.get(no)!;
      order.subStates = { ...order.subStates, [s3]: 'FROZEN_BY_RISK_CONTROL' as string as PeerTradeState };

      const subOrders = req.subOrders.map(({ mchid, outTradeNo, subMchid }) => ({ mchid, outTradeNo, subMchid }));
      const result = await runActivity(() => query({ ...q(no), subOrders }));
      expect(result).toMatchObject({ found: true, httpStatus: 200, host: 'main', attempt: 1 });
      const subs = (result as Extract<QueryResult, { found: true }>).subOrders;
      expect(subs.map((s) => [s.outTradeNo, s.mchid, s.subMchid, s.tradeState])).toEqual([
        [s1, '1900000109', '1900000001', 'SUCCESS'],
        [s2, '1900000109', '1900000002', 'CLOSED'],
        [s3, '1900000109', '1900000003', 'FROZEN_BY_RISK_CONTROL'],
      ]);
      expect(subs[0]?.transactionId).toMatch(/^42000/);
      expect(subs[1]).not.toHaveProperty('transactionId');

      const entries = logged(no);
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({
        route: 'query',
        method: 'GET',
        status: 200,
        answerVerifiable: true,
        wechatpaySerial: identity.publicKeyId,
      });
      expect(entries[0]?.path).toBe(`/v3/ecommerce/combine-papay/transactions/${no}`);
      expect(entries[0]?.authProblem).toBeUndefined();
      expect(recorded.answers).toEqual(['query FOUND']);
    });

    it('a signed, verified 404 ORDER_NOT_EXIST from the main host → found: false', async () => {
      const no = orderNo('Q');
      expect(await runActivity(() => query(q(no)))).toEqual({
        found: false,
        code: 'ORDER_NOT_EXIST',
        httpStatus: 404,
        host: 'main',
        attempt: 1,
        answerNonce: logged(no)[0]?.answerNonce,
      });
      expect(recorded.answers).toEqual(['query NOT_FOUND']);
    });

    it('an unsigned not-found → QUERY_TRANSIENT, counted as unsigned', async () => {
      const no = orderNo('Q');
      fault('query', 'UNSIGNED_NOT_EXIST', no);
      const err = failure(await runActivity(() => query(q(no))));
      expect(err.type).toBe(ErrorType.QUERY_TRANSIENT);
      expect(err.nonRetryable).toBe(false);
      expect(recorded.unsigned).toEqual(['query']);
      // The next attempt reaches WeChat Pay and gets the signed fact.
      expect(await runActivity(() => query(q(no)))).toMatchObject({ found: false, code: 'ORDER_NOT_EXIST' });
    });

    it('a signed generic 404 NOT_FOUND → QUERY_REJECTED, non-retryable', async () => {
      const no = orderNo('Q');
      fault('query', 'GENERIC_NOT_FOUND', no);
      const err = failure(await runActivity(() => query(q(no))));
      expect(err.type).toBe(ErrorType.QUERY_REJECTED);
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toMatch(/404 NOT_FOUND/);
    });

    it('fails over to the backup host after a network fault; a "not found" from the backup → QUERY_TRANSIENT', async () => {
      const failover = makeActivities('PUBLIC_KEY', {
        WECHATPAY_BASE_URL: 'http://127.0.0.1:9/',
        WECHATPAY_BACKUP_BASE_URL: peer.url,
      }).query;
      const no = orderNo('Q');
      const heartbeats: unknown[] = [];
      const first = new MockActivityEnvironment({ attempt: 1 }, { logger: fileLogger() });
      first.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const err1 = (await first.run(() => failover(q(no))).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err1.type).toBe(ErrorType.QUERY_TRANSIENT);
      expect(heartbeats[0]).toMatchObject({ lastFailure: { network: true, host: 'main' } });

      const second = new MockActivityEnvironment(
        { attempt: 2, heartbeatDetails: heartbeats[0] },
        { logger: fileLogger() },
      );
      second.on('heartbeat', (d: unknown) => heartbeats.push(d));
      const err2 = (await second.run(() => failover(q(no))).catch((e: unknown) => e)) as ApplicationFailure;
      expect(err2.type).toBe(ErrorType.QUERY_TRANSIENT);
      expect(err2.message).toMatch(/ORDER_NOT_EXIST from the backup host/);
      expect(logged(no)).toHaveLength(1);
      expect(logged(no)[0]).toMatchObject({ route: 'query', status: 404, answerVerifiable: true });
      expect(heartbeats[1]).toMatchObject({ lastFailure: { network: false, host: 'backup' } });

      // The backup host answers a found order as a fact.
      const req = reverseRequest(no);
      await seedOrder(peer, req, 'SUCCESS');
      const third = new MockActivityEnvironment(
        { attempt: 3, heartbeatDetails: heartbeats[0] },
        { logger: fileLogger() },
      );
      expect(await third.run(() => failover(q(no)))).toMatchObject({ found: true, host: 'backup', attempt: 3 });
    });

    it('refuses an answer whose nonce the order already accepted, and one this process saw, as replays', async () => {
      const req = reverseRequest();
      const no = req.combineOutTradeNo;
      await seedOrder(peer, req, 'PAYING');
      const first = (await runActivity(() => query(q(no)))) as QueryResult;
      expect(first).toMatchObject({ found: true });
      // The order sends the nonces it accepted: the same signed answer again is a replay.
      fault('query', 'REPLAY_LAST', no);
      const replayed = failure(await runActivity(() => query({ ...q(no), refuseNonces: [first.answerNonce!] })));
      expect(replayed.type).toBe(ErrorType.QUERY_ANSWER_UNVERIFIED);
      expect(replayed.message).toMatch(/REPLAYED_NONCE: already accepted by this order/);
      // A signed "no such order" this process verified before (for another order) is a replay for any order.
      const other = orderNo('N');
      expect(await runActivity(() => query(q(other)))).toMatchObject({ found: false, code: 'ORDER_NOT_EXIST' });
      fault('query', 'REPLAY_NOT_EXIST', no);
      const copy = failure(await runActivity(() => query(q(no))));
      expect(copy.type).toBe(ErrorType.QUERY_ANSWER_UNVERIFIED);
      expect(copy.message).toMatch(/REPLAYED_NONCE: already seen by this worker/);
      const replays = logged(no).filter((e) => e.fault === 'REPLAY_NOT_EXIST');
      expect(replays[0]?.answerNonce).toBe(logged(other)[0]?.answerNonce);
      // The retry gets a fresh answer.
      expect(await runActivity(() => query(q(no)))).toMatchObject({ found: true });
    });

    it('retries answers that are not exactly this order, then hands it to a human (QUERY_ANSWER_MISMATCH)', async () => {
      const req = reverseRequest();
      const no = req.combineOutTradeNo;
      await seedOrder(peer, req, 'CLOSED');
      peer.faults.add({ route: 'query', kind: 'FOREIGN_MCHID', count: 5, orderNo: no });
      let heartbeat: unknown;
      for (let attempt = 1; attempt <= 5; attempt++) {
        const env = new MockActivityEnvironment({ attempt, heartbeatDetails: heartbeat }, { logger: fileLogger() });
        env.on('heartbeat', (d: unknown) => (heartbeat = d));
        const err = (await env.run(() => query(q(no))).catch((e: unknown) => e)) as ApplicationFailure;
        expect({ attempt, type: err.type, nonRetryable: err.nonRetryable }).toEqual(
          attempt < 5
            ? { attempt, type: ErrorType.QUERY_ANSWER_UNVERIFIED, nonRetryable: false }
            : { attempt, type: ErrorType.QUERY_ANSWER_MISMATCH, nonRetryable: true },
        );
        expect(err.message).toMatch(/combine_mchid 1900000000, expected/);
      }
    });

    const queryRows: [FaultKind, string, boolean][] = [
      // kind, failure type, counted as unsigned
      ['SYSTEM_ERROR', ErrorType.QUERY_TRANSIENT, false],
      ['RATE_LIMIT', ErrorType.QUERY_TRANSIENT, false],
      ['RESET', ErrorType.QUERY_TRANSIENT, false],
      ['DELAY', ErrorType.QUERY_TRANSIENT, false],
      ['OVERSIZE', ErrorType.QUERY_TRANSIENT, false],
      ['ACCEPTED_202', ErrorType.QUERY_TRANSIENT, false],
      ['TAMPER', ErrorType.QUERY_ANSWER_UNVERIFIED, false],
      ['SIGNTEST', ErrorType.QUERY_ANSWER_UNVERIFIED, false],
      ['WRONG_SERIAL', ErrorType.QUERY_ANSWER_UNVERIFIED, false],
      ['SKEW', ErrorType.QUERY_ANSWER_UNVERIFIED, false],
      ['NO_HEADERS', ErrorType.QUERY_ANSWER_UNVERIFIED, true],
      ['SIGN_ERROR', ErrorType.QUERY_AUTH_FAILED, false],
      ['NO_AUTH', ErrorType.QUERY_AUTH_FAILED, false],
    ];
    it.each(queryRows)('%s → %s, then the retry gets the order', async (kind, type, countedUnsigned) => {
      const req = reverseRequest(orderNo('Q'));
      await seedOrder(peer, req);
      fault('query', kind, req.combineOutTradeNo);
      const started = Date.now();
      const err = failure(await runActivity(() => query(q(req.combineOutTradeNo))));
      expect(Date.now() - started).toBeLessThan(CLIENT_TIMEOUT_MS + 1_000);
      expect(err.type).toBe(type);
      expect(err.nonRetryable).toBe(false);
      if (type === ErrorType.QUERY_AUTH_FAILED) expect(err.nextRetryDelay).toBe(7_000);
      expect(recorded.unsigned).toEqual(countedUnsigned ? ['query'] : []);
      expect(await runActivity(() => query(q(req.combineOutTradeNo)))).toMatchObject({ found: true });
    });

    it('PARAM_ERROR → QUERY_REJECTED, non-retryable', async () => {
      const no = orderNo('Q');
      fault('query', 'PARAM_ERROR', no);
      const err = failure(await runActivity(() => query(q(no))));
      expect(err.type).toBe(ErrorType.QUERY_REJECTED);
      expect(err.nonRetryable).toBe(true);
    });
  });

  describe('answers signed before the request, in a worker process that never saw them', () => {
    /** A brand-new worker process: no nonce seen, no clock offset measured. */
    const freshProcess = () => {
      const own = { nonces: new NonceMemory(), clock: new ClockOffsetEstimate() };
      return { ...makeActivities('PUBLIC_KEY', {}, own), clock: own.clock };
    };
    const staleLogLines = (no: string): Record<string, unknown>[] =>
      fs
        .readFileSync(workerLogFile(), 'utf8')
        .split('\n')
        .filter((line) => line.includes(no) && line.includes('"stale":true'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);

    it('refuses a signed 404 and a signed 204 captured a minute earlier, as stale (no nonce memory involved); the retry settles', async () => {
      const req = reverseRequest();
      const no = req.combineOutTradeNo;
      await seedOrder(peer, req, 'PAYING');
      // A "no such order" given a minute ago, to another order and another process, is replayed byte for byte.
      peer.settings.clockOffsetMs = -60_000;
      await runActivity(() => freshProcess().query(q(orderNo('N'))));
      peer.settings.clockOffsetMs = 0;
      const worker = freshProcess();
      fault('query', 'REPLAY_NOT_EXIST', no);
      const replayed = failure(await runActivity(() => worker.query(q(no))));
      expect(replayed.type).toBe(ErrorType.QUERY_ANSWER_UNVERIFIED);
      expect(replayed.message).toMatch(
        /^the answer was signed before the request was sent \(404 not fresh \(STALE_ANSWER: signed 6\d(\.\d)? s before our request \(clock offset 0 s, tolerance 5 s\)\)\)/,
      );
      expect(logged(no).at(-1)).toMatchObject({ fault: 'REPLAY_NOT_EXIST', status: 404, answerVerifiable: true });
      // Captured and never delivered (nonces nobody saw): a 204 to the reverse, its Date as old; a 404 to the query.
      fault('reverse', 'STALE_ANSWER_DATED', no);
      const reversed = failure(await runActivity(() => worker.reverse(req)));
      expect(reversed.type).toBe(ErrorType.REVERSE_ANSWER_UNVERIFIED);
      expect(reversed.message).toMatch(/204 not fresh \(STALE_ANSWER: signed 6\d(\.\d)? s before our request/);
      expect(peer.orders.get(no)?.state).toBe('PAYING');
      fault('query', 'STALE_ANSWER', no);
      expect(failure(await runActivity(() => worker.query(q(no)))).type).toBe(ErrorType.QUERY_ANSWER_UNVERIFIED);
      expect(recorded.stale).toEqual(['query', 'query', 'reverse', 'query']);
      expect(recorded.answers.filter((a) => a.endsWith('UNVERIFIED'))).toHaveLength(4);
      expect(staleLogLines(no).map((l) => l.msg)).toEqual([
        'answer to the query not accepted: signed before the request was sent (a replay, or the clocks differ): retrying',
        'answer to the reverse not accepted: signed before the request was sent (a replay, or the clocks differ): retrying',
        'answer to the query not accepted: signed before the request was sent (a replay, or the clocks differ): retrying',
      ]);
      // Fresh answers settle the order.
      expect(await runActivity(() => worker.query(q(no)))).toMatchObject({ found: true });
      expect(await runActivity(() => worker.reverse(req))).toMatchObject({ outcome: 'REVERSED', httpStatus: 204 });
      // Stale copies that carry their own old Date cannot drag the clock estimate back to let themselves in.
      for (let i = 0; i < 2; i++) {
        fault('query', 'STALE_ANSWER_DATED', no);
        expect(failure(await runActivity(() => worker.query(q(no)))).message).toMatch(/STALE_ANSWER/);
      }
      expect(Math.abs(worker.clock.offsetMs)).toBeLessThan(1_500);
    });

    it('accepts the answers of a WeChat Pay whose clock is 90 s behind once the offset is measured; stale ones stay refused', async () => {
      const req = reverseRequest();
      const no = req.combineOutTradeNo;
      await seedOrder(peer, req, 'PAYING');
      peer.settings.clockOffsetMs = -90_000;
      const worker = freshProcess();
      // A new process believes no single Date header: its first answers look signed 90 s before its requests.
      for (let i = 0; i < OFFSET_MIN_SAMPLES; i++) {
        const early = failure(await runActivity(() => worker.query(q(no))));
        expect(early.message).toMatch(/STALE_ANSWER: signed (8|9)\d(\.\d)? s before our request \(clock offset 0 s/);
      }
      expect(worker.clock.offsetMs).toBeGreaterThan(-91_500);
      expect(worker.clock.offsetMs).toBeLessThan(-88_500);
      expect(await runActivity(() => worker.query(q(no)))).toMatchObject({ found: true });
      fault('reverse', 'STALE_ANSWER', no);
      const stale = failure(await runActivity(() => worker.reverse(req)));
      expect(stale.message).toMatch(/STALE_ANSWER: signed (5|6)\d(\.\d)? s before our request \(clock offset -(8|9)\d/);
      expect(await runActivity(() => worker.reverse(req))).toMatchObject({ outcome: 'REVERSED', httpStatus: 204 });
      expect(recorded.stale).toEqual(['query', 'query', 'query', 'reverse']);
    });
  });
});

describe('downstream activities (compensation, payment confirmation) against the order-service stub', () => {
  let service: OrderService;
  let compensate: (req: CompensationRequest) => Promise<unknown>;
  const recorded = recordingMetrics();
  /** A fresh Standard Webhooks secret (`whsec_<base64>`). */
  const newSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;
  const request = (outTradeNo?: string): CompensationRequest => {
    const no = orderNo('C');
    return {
      combineOutTradeNo: no,
      outTradeNo: outTradeNo ?? `${no.slice(0, 28)}S1`,
      mchid: '1900000109',
      subMchid: '1900000001',
      reason: 'PAYMENT_TIMEOUT',
      reverseOutcome: 'REVERSED',
      tradeState: 'CLOSED',
    };
  };
  const configFor = (secret: string, url?: string) =>
    loadWorkerConfig({
      ...workerEnvFor(testIdentity(), { wechatpay: 'http://127.0.0.1:9/', compensation: url ?? service.url }),
      COMPENSATION_HMAC_SECRET: secret,
      COMPENSATION_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      COMPENSATION_AUTH_RETRY_DELAY: '7s',
      PAYMENT_CONFIRMATION_URL: service.confirmationUrl,
    });
  const build = (secret: string, url?: string) =>
    createCompensationActivity({ ...configFor(secret, url).compensation, metrics: recorded.metrics });
  const buildConfirmation = (secret = TEST_HMAC_SECRET) =>
    createConfirmationActivity({ ...configFor(secret).confirmation, metrics: recorded.metrics });
  const compensationId = (req: CompensationRequest): string =>
    `compensation:${req.combineOutTradeNo}:${req.outTradeNo}`;

  beforeAll(async () => {
    service = await startOrderService({ secrets: TEST_HMAC_SECRET, delayMs: 2_500 });
    compensate = build(TEST_HMAC_SECRET);
  });
  afterAll(async () => {
    await service.close();
  });
  beforeEach(() => {
    service.faults.clear();
    service.setSecrets([TEST_HMAC_SECRET]);
    recorded.clear();
  });

  describe('compensation', () => {
    it('posts a Standard Webhook { type, timestamp, data } under compensation:<no>:<sub>, verified; a repeat is a 409 and still done', async () => {
      const req = request();
      const scheduled = Date.parse('2026-12-03T06:00:00Z');
      const first = await runActivity(() => compensate(req), { scheduledTimestampMs: scheduled });
      expect(first).toMatchObject({ httpStatus: 200, alreadyCompensated: false });
      const second = await runActivity(() => compensate(req), {
        attempt: 2,
        scheduledTimestampMs: scheduled,
        currentAttemptScheduledTimestampMs: scheduled + 60_000,
      });
      expect(second).toMatchObject({ httpStatus: 409, alreadyCompensated: true, attempt: 2 });
      const entries = service.log.filter((e) => e.outTradeNo === req.outTradeNo);
      const id = compensationId(req);
      expect(entries.map((e) => [e.webhookId, e.idempotencyKey, e.type])).toEqual([
        [id, id, 'sub_order.compensate'],
        [id, id, 'sub_order.compensate'],
      ]);
      // The stub verifies with the standardwebhooks library and the route's purpose.
      expect(entries.every((e) => e.signatureOk === true && e.refusal === undefined)).toBe(true);
      expect(entries.map((e) => e.wire.headers['webhook-signature'])).toEqual([
        expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
        expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
      ]);
      // The body (and its timestamp: the first scheduling) is the same on every attempt; the header time is not signed
      // into it.
      expect(entries[1]!.wire.body).toBe(entries[0]!.wire.body);
      const received = service.compensated.get(id);
      expect(received).toMatchObject({ type: 'sub_order.compensate', timestamp: '2026-12-03T06:00:00.000Z', count: 2 });
      expect(received?.data).toEqual(req);
      expect(Object.keys(JSON.parse(entries[0]!.wire.body) as object)).toEqual(['type', 'timestamp', 'data']);
      expect(Object.keys(received?.data ?? {})).toEqual([
        'combineOutTradeNo',
        'outTradeNo',
        'mchid',
        'subMchid',
        'reason',
        'reverseOutcome',
        'tradeState',
      ]);
      expect(entries.filter((e) => e.effective)).toHaveLength(1);
    });

    it('sends NOT_FOUND as the trade state of an order WeChat Pay does not have', async () => {
      const req: CompensationRequest = { ...request(), reverseOutcome: 'ORDER_NOT_FOUND', tradeState: 'NOT_FOUND' };
      expect(await runActivity(() => compensate(req))).toMatchObject({ alreadyCompensated: false });
      expect(service.compensated.get(compensationId(req))?.data).toMatchObject({ tradeState: 'NOT_FOUND' });
    });

    it.each(['500', '503', '429', '408', 'RESET', 'DELAY'] as const)(
      '%s → retried (COMPENSATION_TRANSIENT)',
      async (kind) => {
        const req = request();
        service.faults.add({ kind, count: 1, orderNo: req.outTradeNo });
        const err = failure(await runActivity(() => compensate(req)));
        expect(err.type).toBe(ErrorType.COMPENSATION_TRANSIENT);
        expect(err.nonRetryable).toBe(false);
        expect(recorded.downstream).toEqual(['compensation transient']);
        const again = await runActivity(() => compensate(req));
        expect(again).toMatchObject({ alreadyCompensated: kind === 'DELAY' });
        expect(service.log.filter((e) => e.outTradeNo === req.outTradeNo && e.effective)).toHaveLength(1);
      },
    );

    it('422 → COMPENSATION_REJECTED, non-retryable', async () => {
      const req = request();
      service.faults.add({ kind: '422', count: 1, orderNo: req.outTradeNo });
      const err = failure(await runActivity(() => compensate(req)));
      expect(err.type).toBe(ErrorType.COMPENSATION_REJECTED);
      expect(err.nonRetryable).toBe(true);
      expect(recorded.downstream).toEqual(['compensation rejected']);
    });

    it.each(['401', '403'] as const)(
      '%s → DOWNSTREAM_UNAUTHORIZED: retried after COMPENSATION_AUTH_RETRY_DELAY and counted, never handed to a human',
      async (kind) => {
        const req = request();
        service.faults.add({ kind, count: 1, orderNo: req.outTradeNo });
        const err = failure(await runActivity(() => compensate(req)));
        expect(err.type).toBe(ErrorType.DOWNSTREAM_UNAUTHORIZED);
        expect(err.nonRetryable).toBe(false);
        expect(err.nextRetryDelay).toBe(7_000);
        expect(err.message).toContain(kind);
        expect(recorded.downstream).toEqual(['compensation unauthorized']);
        expect(await runActivity(() => compensate(req))).toMatchObject({ alreadyCompensated: false });
      },
    );

    it('a secret rotation: a secret the order service does not hold yet is retried slowly until it is added, then verifies', async () => {
      const rotated = newSecret();
      const worker = build(rotated);
      const req = request();
      for (let attempt = 1; attempt <= 2; attempt += 1) {
        const err = failure(await runActivity(() => worker(req), { attempt }));
        expect(err.type).toBe(ErrorType.DOWNSTREAM_UNAUTHORIZED);
        expect(err.nonRetryable).toBe(false);
        expect(err.nextRetryDelay).toBe(7_000);
        expect(err.message).not.toContain(rotated.slice(6));
      }
      expect(recorded.downstream).toEqual(['compensation unauthorized', 'compensation unauthorized']);
      expect(service.log.filter((e) => e.outTradeNo === req.outTradeNo).map((e) => e.refusal)).toEqual([
        'BAD_SIGNATURE',
        'BAD_SIGNATURE',
      ]);
      expect(service.compensated.has(compensationId(req))).toBe(false);
      service.addSecret(rotated);
      expect(await runActivity(() => worker(req), { attempt: 3 })).toMatchObject({ alreadyCompensated: false });
    });

    it('a worker signing with the old and the new secret verifies at an order service holding only one of them', async () => {
      const next = newSecret();
      const worker = build(`${TEST_HMAC_SECRET} ${next}`);
      for (const held of [[TEST_HMAC_SECRET], [next]]) {
        service.setSecrets(held);
        const req = request();
        expect(await runActivity(() => worker(req))).toMatchObject({ httpStatus: 200 });
        const entry = service.log.find((e) => e.outTradeNo === req.outTradeNo);
        expect(entry?.wire.headers['webhook-signature']?.split(' ')).toHaveLength(2);
      }
    });

    it('a compensation sent to the payment-confirmation endpoint is refused there (400 WRONG_PURPOSE) and needs a human', async () => {
      const misrouted = build(TEST_HMAC_SECRET, service.confirmationUrl);
      const req = request();
      const err = failure(await runActivity(() => misrouted(req)));
      expect(err.type).toBe(ErrorType.COMPENSATION_REJECTED);
      expect(err.nonRetryable).toBe(true);
      expect(service.log.at(-1)).toMatchObject({ route: 'confirm', status: 400, refusal: 'WRONG_PURPOSE' });
      expect(service.compensated.has(compensationId(req))).toBe(false);
      expect([...service.confirmations.keys()].some((k) => k.includes(req.combineOutTradeNo))).toBe(false);
    });
  });

  describe('payment confirmation', () => {
    const confirmation = (no = orderNo('P')): PaymentConfirmationRequest => ({
      combineOutTradeNo: no,
      source: 'WECHATPAY_QUERY',
      subOrders: [
        {
          outTradeNo: `${no.slice(0, 28)}S1`,
          mchid: '1900000109',
          subMchid: '1900000001',
          transactionId: '4200000001202611270001',
        },
        { outTradeNo: `${no.slice(0, 28)}S2`, mchid: '1900000109', subMchid: '1900000002' },
      ],
    });

    it('sends the contract webhook once, signed, under confirmation:<no>; a repeat answers 409 → alreadyConfirmed', async () => {
      const confirm = buildConfirmation();
      const req = confirmation();
      const first = await runActivity(() => confirm(req));
      expect(first).toMatchObject({ alreadyConfirmed: false, attempt: 1 });
      expect((first as { httpStatus: number }).httpStatus).toBeGreaterThanOrEqual(200);
      expect((first as { httpStatus: number }).httpStatus).toBeLessThan(300);
      expect(await runActivity(() => confirm(req))).toMatchObject({ httpStatus: 409, alreadyConfirmed: true });
      const id = `confirmation:${req.combineOutTradeNo}`;
      const entries = service.log.filter((e) => e.webhookId === id);
      expect(entries).toHaveLength(2);
      expect(entries.every((e) => e.route === 'confirm' && e.signatureOk === true && e.idempotencyKey === id)).toBe(
        true,
      );
      expect(entries.filter((e) => e.effective)).toHaveLength(1);
      const received = service.confirmations.get(id);
      expect(received).toMatchObject({ type: 'order.paid', count: 2 });
      expect(received?.data).toEqual(req);
    });

    it('a sub-order named "paid": its compensation and its order confirmation are two webhooks, both take effect', async () => {
      const compensation = request('paid');
      const req = confirmation(compensation.combineOutTradeNo);
      expect(await runActivity(() => compensate(compensation))).toMatchObject({ alreadyCompensated: false });
      expect(await runActivity(() => buildConfirmation()(req))).toMatchObject({ alreadyConfirmed: false });
      const ids = service.log
        .filter((e) => e.combineOutTradeNo === req.combineOutTradeNo)
        .map((e) => [e.route, e.webhookId, e.effective]);
      expect(ids).toEqual([
        ['compensate', `compensation:${req.combineOutTradeNo}:paid`, true],
        ['confirm', `confirmation:${req.combineOutTradeNo}`, true],
      ]);
    });

    it.each(['503', '429', 'RESET'] as const)('%s → CONFIRMATION_TRANSIENT, and the retry confirms', async (kind) => {
      const confirm = buildConfirmation();
      const req = confirmation();
      service.faults.add({ route: 'confirm', kind, count: 1, orderNo: req.combineOutTradeNo });
      const err = failure(await runActivity(() => confirm(req)));
      expect(err.type).toBe(ErrorType.CONFIRMATION_TRANSIENT);
      expect(err.nonRetryable).toBe(false);
      expect(recorded.downstream).toEqual(['confirmation transient']);
      expect(await runActivity(() => confirm(req))).toMatchObject({ alreadyConfirmed: false });
    });

    it('422 → CONFIRMATION_REJECTED, non-retryable', async () => {
      const confirm = buildConfirmation();
      const req = confirmation();
      service.faults.add({ route: 'confirm', kind: '422', count: 1, orderNo: req.combineOutTradeNo });
      const err = failure(await runActivity(() => confirm(req)));
      expect(err.type).toBe(ErrorType.CONFIRMATION_REJECTED);
      expect(err.nonRetryable).toBe(true);
    });

    it('a secret the endpoint does not accept → DOWNSTREAM_UNAUTHORIZED, retried slowly and counted', async () => {
      const confirm = buildConfirmation(newSecret());
      const err = failure(await runActivity(() => confirm(confirmation())));
      expect(err.type).toBe(ErrorType.DOWNSTREAM_UNAUTHORIZED);
      expect(err.nonRetryable).toBe(false);
      expect(err.nextRetryDelay).toBe(7_000);
      expect(recorded.downstream).toEqual(['confirmation unauthorized']);
    });

    it('a downstream that does not answer → CONFIRMATION_TRANSIENT, retried', async () => {
      const confirm = createConfirmationActivity({
        url: 'http://127.0.0.1:9/payment-confirmations',
        timeoutMs: 500,
        authRetryDelayMs: 1_000,
      });
      const err = failure(await runActivity(() => confirm(confirmation())));
      expect(err.type).toBe(ErrorType.CONFIRMATION_TRANSIENT);
      expect(err.nonRetryable).toBe(false);
    });

    it('without PAYMENT_CONFIRMATION_URL → WORKER_MISCONFIGURED, retryable, naming the variable', async () => {
      const confirm = createConfirmationActivity({ timeoutMs: 500, authRetryDelayMs: 1_000 });
      const err = failure(await runActivity(() => confirm(confirmation())));
      expect(err.type).toBe(ErrorType.WORKER_MISCONFIGURED);
      expect(err.nonRetryable).toBe(false);
      expect(err.message).toContain('PAYMENT_CONFIRMATION_URL');
    });
  });
});
