/**
 * The real activities against the simulator's peers over real HTTP: requests signed with a real RSA key and checked
 * by the peer, answers signed by the peer and verified by the plugin; one case per row of the answer table.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createCompensationActivity } from '../../activities/compensation';
import { createReverseActivity } from '../../activities/reverse';
import { createReverseClient } from '../../wechatpay/client';
import { loadWorkerConfig } from '../../worker/config';
import { workerEnvFor } from '../../simulator/keys';
import { startWechatpayPeer, type FaultKind, type WechatpayPeer } from '../../simulator/wechatpay-peer';
import { startOrderService, type OrderService } from '../../simulator/order-service';
import { ErrorType } from '../../workflows/errors';
import type { CompensationRequest, ReverseRequest, ReverseResult } from '../../workflows/types';
import { fileLogger } from '../harness/env';
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
  };
}

async function runActivity<T>(fn: () => Promise<T>): Promise<T | ApplicationFailure> {
  const env = new MockActivityEnvironment({ attempt: 1 }, { logger: fileLogger() });
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

describe('reverse activity against the WeChat Pay peer', () => {
  let peer: WechatpayPeer;
  let reverse: (req: ReverseRequest) => Promise<ReverseResult>;
  const identity = testIdentity();

  const makeReverse = (mode: 'PUBLIC_KEY' | 'PLATFORM_CERT', extraEnv: Record<string, string> = {}) => {
    const config = loadWorkerConfig({
      ...workerEnvFor(identity, { wechatpay: peer.url, compensation: 'http://127.0.0.1:9/compensations' }, mode),
      WECHATPAY_TIMEOUT_MS: String(CLIENT_TIMEOUT_MS),
      ...extraEnv,
    });
    return createReverseActivity({ client: createReverseClient(config.wechatpay), authRetryDelayMs: 7_000 });
  };

  beforeAll(async () => {
    peer = await startWechatpayPeer(identity, { settings: { delayMs: 2_500 } });
    reverse = makeReverse('PUBLIC_KEY');
  });
  afterAll(async () => {
    await peer.close();
  });
  beforeEach(() => {
    peer.faults.clear();
    peer.settings.repeatReversePolicy = 'NO_CONTENT';
    peer.settings.signWith = 'PUBLIC_KEY';
  });

  it('sends a signed POST the peer verifies, with exactly the documented body and Wechatpay-Serial, and accepts the signed 204', async () => {
    const req = reverseRequest('R|2026*11@27-x_y');
    await seedOrder(peer, req);
    const result = await runActivity(() => reverse(req));
    expect(result).toMatchObject({ outcome: 'REVERSED', httpStatus: 204, verified: true });
    const logged = peer.log.filter((e) => e.orderNo === req.combineOutTradeNo);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ route: 'reverse', status: 204, wechatpaySerial: identity.publicKeyId });
    expect(logged[0]?.authProblem).toBeUndefined();
    expect(logged[0]?.effect).toEqual({ from: 'PAYING', to: 'CLOSED' });
  });

  it('refunds a paid order (reverse of a paid order)', async () => {
    const req = reverseRequest();
    await seedOrder(peer, req, 'SUCCESS');
    expect(await runActivity(() => reverse(req))).toMatchObject({ outcome: 'REVERSED' });
    expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('REFUND');
  });

  it('treats "no such order" as accepted (ORDER_NOT_FOUND), verified', async () => {
    const result = await runActivity(() => reverse(reverseRequest()));
    expect(result).toMatchObject({
      outcome: 'ORDER_NOT_FOUND',
      httpStatus: 404,
      code: 'ORDER_NOT_EXIST',
      verified: true,
    });
  });

  it.each([
    ['NO_CONTENT', { outcome: 'REVERSED', httpStatus: 204 }],
    ['ORDER_CLOSED', { outcome: 'ALREADY_CLOSED', httpStatus: 400, code: 'ORDER_CLOSED' }],
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
    const logged = peer.log.filter((e) => e.orderNo === req.combineOutTradeNo);
    expect(logged[0]?.wechatpaySerial).toBe(identity.platformSerial);
  });

  it('is refused 401 SIGN_ERROR (unsigned) when signed with the wrong key, and retries slowly', async () => {
    const dir = path.join(process.env.TEST_WORK_DIR!, 'wrong-key');
    fs.mkdirSync(dir, { recursive: true });
    const wrong = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
    fs.writeFileSync(path.join(dir, 'key.pem'), wrong);
    const badKey = makeReverse('PUBLIC_KEY', { WECHATPAY_PRIVATE_KEY_PATH: path.join(dir, 'key.pem') });
    const req = reverseRequest();
    await seedOrder(peer, req);
    const err = await runActivity(() => badKey(req));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(ErrorType.REVERSE_AUTH_FAILED);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect((err as ApplicationFailure).nextRetryDelay).toBe(7_000);
    const logged = peer.log.filter((e) => e.orderNo === req.combineOutTradeNo);
    expect(logged[0]).toMatchObject({ status: 401, authProblem: 'signature does not verify', answerVerifiable: false });
    expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('PAYING');
  });

  const faultRows: [FaultKind, string, boolean][] = [
    ['SYSTEM_ERROR', ErrorType.REVERSE_TRANSIENT, false],
    ['RATE_LIMIT', ErrorType.REVERSE_TRANSIENT, false],
    ['SERVICE_UNAVAILABLE', ErrorType.REVERSE_TRANSIENT, false],
    ['RESET', ErrorType.REVERSE_TRANSIENT, false],
    ['INVALID_JSON', ErrorType.REVERSE_TRANSIENT, false],
    ['DELAY', ErrorType.REVERSE_TRANSIENT, true],
    ['OVERSIZE', ErrorType.REVERSE_TRANSIENT, true],
    ['SLOW_DRIP', ErrorType.REVERSE_TRANSIENT, true],
    ['TAMPER', ErrorType.REVERSE_ANSWER_UNVERIFIED, true],
    ['SIGNTEST', ErrorType.REVERSE_ANSWER_UNVERIFIED, true],
    ['NO_SIGNATURE', ErrorType.REVERSE_ANSWER_UNVERIFIED, true],
    ['WRONG_SERIAL', ErrorType.REVERSE_ANSWER_UNVERIFIED, true],
    ['SKEW', ErrorType.REVERSE_ANSWER_UNVERIFIED, true],
    ['SIGN_ERROR', ErrorType.REVERSE_AUTH_FAILED, false],
    ['NO_AUTH', ErrorType.REVERSE_AUTH_FAILED, false],
  ];
  it.each(faultRows)('%s → %s, never accepted, within the client timeout', async (kind, type, tookEffect) => {
    const req = reverseRequest();
    await seedOrder(peer, req);
    peer.faults.add({ route: 'reverse', kind, count: 1, orderNo: req.combineOutTradeNo });
    const started = Date.now();
    const err = await runActivity(() => reverse(req));
    expect(Date.now() - started).toBeLessThan(CLIENT_TIMEOUT_MS + 1_000);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe(type);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    // Whether or not the request took effect at the peer, the next attempt gets a verified answer.
    expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe(tookEffect ? 'CLOSED' : 'PAYING');
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
    expect(heartbeats[0]).toMatchObject({ lastFailure: { network: true } });
    expect(peer.log.some((e) => e.orderNo === req.combineOutTradeNo)).toBe(false);
    // Attempt 2 sees those details and goes to the backup host.
    const second = new MockActivityEnvironment(
      { attempt: 2, heartbeatDetails: heartbeats[0] },
      { logger: fileLogger() },
    );
    expect(await second.run(() => failover(req))).toMatchObject({ outcome: 'REVERSED', verified: true });
    expect(peer.log.filter((e) => e.orderNo === req.combineOutTradeNo && !e.authProblem)).toHaveLength(1);
  });

  it('PARAM_ERROR → REVERSE_REJECTED, non-retryable', async () => {
    const req = reverseRequest();
    await seedOrder(peer, req);
    peer.faults.add({ route: 'reverse', kind: 'PARAM_ERROR', count: 1, orderNo: req.combineOutTradeNo });
    const err = (await runActivity(() => reverse(req))) as ApplicationFailure;
    expect(err.type).toBe(ErrorType.REVERSE_REJECTED);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toMatch(/400 PARAM_ERROR/);
  });

  it('a reverse whose sub-orders do not match the order is rejected (INVALID_REQUEST), not accepted', async () => {
    const req = reverseRequest();
    await seedOrder(peer, req);
    const wrong = { ...req, subOrders: req.subOrders.slice(0, 1) };
    const err = (await runActivity(() => reverse(wrong))) as ApplicationFailure;
    expect(err.type).toBe(ErrorType.REVERSE_REJECTED);
    expect(peer.orders.get(req.combineOutTradeNo)?.state).toBe('PAYING');
  });
});

describe('compensation activity against the order-service stub', () => {
  let service: OrderService;
  let compensate: (req: CompensationRequest) => Promise<unknown>;
  const request = (): CompensationRequest => {
    const no = orderNo('C');
    return {
      combineOutTradeNo: no,
      outTradeNo: `${no.slice(0, 28)}S1`,
      mchid: '1900000109',
      subMchid: '1900000001',
      reason: 'PAYMENT_TIMEOUT',
      reverseOutcome: 'REVERSED',
    };
  };
  const build = (secret: string) =>
    createCompensationActivity({
      url: service.url,
      hmacKey: loadWorkerConfig({
        ...workerEnvFor(testIdentity(), { wechatpay: 'http://127.0.0.1:9/', compensation: service.url }),
        COMPENSATION_HMAC_SECRET: secret,
      }).compensation.hmacKey!,
      timeoutMs: CLIENT_TIMEOUT_MS,
    });

  beforeAll(async () => {
    service = await startOrderService({ secret: TEST_HMAC_SECRET, delayMs: 2_500 });
    compensate = build(TEST_HMAC_SECRET);
  });
  afterAll(async () => {
    await service.close();
  });
  beforeEach(() => service.faults.clear());

  it('posts the contract body, signed, under the Idempotency-Key; a repeat is a 409 and still done', async () => {
    const req = request();
    expect(await runActivity(() => compensate(req))).toMatchObject({ httpStatus: 200, alreadyCompensated: false });
    expect(await runActivity(() => compensate(req))).toMatchObject({ httpStatus: 409, alreadyCompensated: true });
    const logged = service.log.filter((e) => e.outTradeNo === req.outTradeNo);
    expect(logged.map((e) => e.idempotencyKey)).toEqual([
      `${req.combineOutTradeNo}:${req.outTradeNo}`,
      `${req.combineOutTradeNo}:${req.outTradeNo}`,
    ]);
    expect(logged.every((e) => e.signatureOk === true)).toBe(true);
    expect(service.compensated.get(`${req.combineOutTradeNo}:${req.outTradeNo}`)?.body).toEqual(req);
    expect(logged.filter((e) => e.effective)).toHaveLength(1);
  });

  it.each(['500', '503', '429', '408', 'RESET', 'DELAY'] as const)(
    '%s → retried (COMPENSATION_TRANSIENT)',
    async (kind) => {
      const req = request();
      service.faults.add({ kind, count: 1, orderNo: req.outTradeNo });
      const err = (await runActivity(() => compensate(req))) as ApplicationFailure;
      expect(err.type).toBe(ErrorType.COMPENSATION_TRANSIENT);
      expect(err.nonRetryable).toBe(false);
      const again = await runActivity(() => compensate(req));
      expect(again).toMatchObject({ alreadyCompensated: kind === 'DELAY' });
      expect(service.log.filter((e) => e.outTradeNo === req.outTradeNo && e.effective)).toHaveLength(1);
    },
  );

  it('422 → COMPENSATION_REJECTED, non-retryable', async () => {
    const req = request();
    service.faults.add({ kind: '422', count: 1, orderNo: req.outTradeNo });
    const err = (await runActivity(() => compensate(req))) as ApplicationFailure;
    expect(err.type).toBe(ErrorType.COMPENSATION_REJECTED);
    expect(err.nonRetryable).toBe(true);
  });

  it('a wrong HMAC secret is refused by the order service and needs a human', async () => {
    const wrong = build('another-secret-of-16-chars-or-more');
    const req = request();
    const err = (await runActivity(() => wrong(req))) as ApplicationFailure;
    expect(err.type).toBe(ErrorType.COMPENSATION_REJECTED);
    expect(err.message).toMatch(/401/);
    expect(service.compensated.has(`${req.combineOutTradeNo}:${req.outTradeNo}`)).toBe(false);
  });
});
