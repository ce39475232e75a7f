/**
 * Signatures checked against vectors computed independently of the project's code: the `openssl` command, and the
 * Standard Webhooks specification's published example.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import util from 'node:util';
import { Webhook } from 'standardwebhooks';
import { createWechatpayClient } from '../../wechatpay/client';
import { createWebhookSigner, webhookBody, webhookHeaders } from '../../activities/downstream';
import { compensationData } from '../../activities/compensation';
import { confirmationData } from '../../activities/confirmation';
import {
  DOWNSTREAM_REFUSAL_STATUS,
  DownstreamRefusal,
  expectedWebhookId,
  verifyDownstreamRequest,
  type DownstreamRequest,
} from '../../client';
import {
  compensationWebhookId,
  confirmationWebhookId,
  DownstreamEventType,
  type CompensationRequest,
  type DownstreamPurpose,
  type PaymentConfirmationRequest,
} from '../../workflows/contract';
import { parseWebhookSecret } from '../../worker/config';
import { parseAuthorization, signAnswer, verifyRequestSignature } from '../../tools/simulator/signing';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signing-'));
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keyFile = path.join(dir, 'key.pem');
const pubFile = path.join(dir, 'pub.pem');
fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
fs.writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));

function opensslSign(message: string): string {
  const msgFile = path.join(dir, 'msg');
  fs.writeFileSync(msgFile, message);
  return execFileSync('openssl', ['dgst', '-sha256', '-sign', keyFile, msgFile]).toString('base64');
}

function opensslVerifies(message: string, signatureB64: string): boolean {
  const msgFile = path.join(dir, 'vmsg');
  const sigFile = path.join(dir, 'vsig');
  fs.writeFileSync(msgFile, message);
  fs.writeFileSync(sigFile, Buffer.from(signatureB64, 'base64'));
  try {
    execFileSync('openssl', ['dgst', '-sha256', '-verify', pubFile, '-signature', sigFile, msgFile], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

describe('APIv3 signatures against openssl', () => {
  const expected = { mchid: '1900009191', serial: 'ABCDEF0123456789', publicKey };

  it('accepts a request signed by openssl over METHOD\\nURI\\nTIMESTAMP\\nNONCE\\nBODY\\n, items in any order', () => {
    const ts = String(Math.floor(Date.now() / 1000));
    const body = '{"combine_appid":"wx1","sub_orders":[]}';
    const uri = '/v3/ecommerce/combine-papay/transactions/P1/reverse';
    const sig = opensslSign(`POST\n${uri}\n${ts}\nnonce123\n${body}\n`);
    const authorization = `WECHATPAY2-SHA256-RSA2048 signature="${sig}",timestamp="${ts}",serial_no="ABCDEF0123456789",nonce_str="nonce123",mchid="1900009191"`;
    expect(verifyRequestSignature({ method: 'POST', uri, body, authorization }, expected)).toBeUndefined();
    expect(verifyRequestSignature({ method: 'POST', uri, body: `${body} `, authorization }, expected)).toBe(
      'signature does not verify',
    );
    expect(verifyRequestSignature({ method: 'POST', uri: `${uri}x`, body, authorization }, expected)).toBe(
      'signature does not verify',
    );
    expect(
      verifyRequestSignature(
        { method: 'POST', uri, body, authorization },
        { ...expected, nowSeconds: Number(ts) + 301 },
      ),
    ).toBe('timestamp outside ±300 s');
    expect(verifyRequestSignature({ method: 'POST', uri, body, authorization }, { ...expected, mchid: '1' })).toBe(
      'mchid does not match',
    );
    expect(
      verifyRequestSignature({ method: 'POST', uri, body, authorization }, { ...expected, serial: 'FF00FF00' }),
    ).toBe('serial_no is not the merchant certificate serial');
  });

  it('signs answers that openssl verifies over TIMESTAMP\\nNONCE\\nBODY\\n (empty body for 204)', () => {
    for (const body of ['', '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}']) {
      const headers = signAnswer(body, { privateKey, serial: 'PUB_KEY_ID_01' });
      const message = `${headers['Wechatpay-Timestamp']}\n${headers['Wechatpay-Nonce']}\n${body}\n`;
      expect(opensslVerifies(message, headers['Wechatpay-Signature'])).toBe(true);
      expect(opensslVerifies(`${message} `, headers['Wechatpay-Signature'])).toBe(false);
      expect(headers['Wechatpay-Serial']).toBe('PUB_KEY_ID_01');
    }
  });

  it('the plugin signs our reverse request so that openssl verifies it, and sends Wechatpay-Serial', async () => {
    let seen: { url: string; body: string; headers: http.IncomingHttpHeaders } | undefined;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen = { url: req.url ?? '', body, headers: req.headers };
        res.writeHead(500).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const client = createWechatpayClient({
        baseUrl: `http://127.0.0.1:${port}/`,
        mchid: '1900009191',
        merchantSerial: 'ABCDEF0123456789',
        privateKey: createPrivateKey(fs.readFileSync(keyFile)),
        verifiers: { PUB_KEY_ID_01: createPublicKey(fs.readFileSync(pubFile)) },
        wechatpaySerial: 'PUB_KEY_ID_01',
        timeoutMs: 2_000,
        maxBodyBytes: 65_536,
      });
      const answer = await client.reverse({
        combineOutTradeNo: 'P|1*2@3',
        combineAppid: 'wx1',
        subOrders: [{ mchid: '1900000109', outTradeNo: 'S1', subMchid: '1900000001' }],
      });
      expect(answer).toMatchObject({ kind: 'answer', status: 500 });
    } finally {
      server.close();
    }
    expect(seen?.headers['wechatpay-serial']).toBe('PUB_KEY_ID_01');
    expect(JSON.parse(seen!.body)).toEqual({
      combine_appid: 'wx1',
      sub_orders: [{ mchid: '1900000109', out_trade_no: 'S1', sub_mchid: '1900000001' }],
    });
    const auth = parseAuthorization(seen?.headers.authorization)!;
    expect(auth).toMatchObject({ mchid: '1900009191', serial_no: 'ABCDEF0123456789' });
    const message = `POST\n${seen!.url}\n${auth.timestamp}\n${auth.nonce_str}\n${seen!.body}\n`;
    expect(opensslVerifies(message, auth.signature)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['wrong scheme', 'Bearer abc'],
    ['missing item', 'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1"'],
    [
      'duplicate item',
      'WECHATPAY2-SHA256-RSA2048 mchid="1",mchid="2",nonce_str="n",signature="s",timestamp="1",serial_no="a"',
    ],
    [
      'trailing garbage',
      'WECHATPAY2-SHA256-RSA2048 mchid="1",nonce_str="n",signature="s",timestamp="1",serial_no="a" x',
    ],
  ])('refuses a %s Authorization header', (_name, header) => {
    expect(parseAuthorization(header)).toBeUndefined();
  });
});

/** A fresh Standard Webhooks secret and its key, as the worker's configuration reads it. */
function webhookSecret(): { text: string; key: KeyObject } {
  const text = `whsec_${randomBytes(32).toString('base64')}`;
  const parsed = parseWebhookSecret(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return { text, key: parsed.key };
}

/** The base64 HMAC-SHA256 of `message` under the key `secret` (`whsec_…`) names, computed by openssl. */
function opensslHmac(secret: string, message: string): string {
  const msgFile = path.join(dir, 'hmac-msg');
  fs.writeFileSync(msgFile, message);
  const hexkey = Buffer.from(secret.replace(/^whsec_/, ''), 'base64').toString('hex');
  return execFileSync('openssl', [
    'dgst',
    '-sha256',
    '-mac',
    'HMAC',
    '-macopt',
    `hexkey:${hexkey}`,
    '-binary',
    msgFile,
  ]).toString('base64');
}

const compensation: CompensationRequest = {
  combineOutTradeNo: 'P1',
  outTradeNo: 'P1S1',
  mchid: '1900000109',
  subMchid: '1900000001',
  reason: 'PAYMENT_TIMEOUT',
  reverseOutcome: 'REVERSED',
  tradeState: 'CLOSED',
};
const confirmation: PaymentConfirmationRequest = {
  combineOutTradeNo: 'P1',
  source: 'WECHATPAY_QUERY',
  subOrders: [{ outTradeNo: 'P1S1', mchid: '1900000109', subMchid: '1900000001', transactionId: '4200000001' }],
};

/** A request exactly as the worker sends it (the product's own body, headers and signer). */
function workerRequest(
  purpose: DownstreamPurpose,
  keys: KeyObject[],
  options: { id?: string; data?: Record<string, unknown>; type?: string; now?: Date } = {},
): DownstreamRequest {
  const data =
    options.data ?? (purpose === 'compensation' ? compensationData(compensation) : confirmationData(confirmation));
  const id =
    options.id ??
    (purpose === 'compensation' ? compensationWebhookId(compensation) : confirmationWebhookId(confirmation));
  const body = webhookBody(options.type ?? DownstreamEventType[purpose], Date.parse('2026-12-03T06:00:00Z'), data);
  return { headers: webhookHeaders(id, body, createWebhookSigner(keys), options.now), body };
}

describe("the worker's Standard Webhooks signature (createWebhookSigner, webhookHeaders)", () => {
  it("signs the specification's published example exactly (standardwebhooks library under the worker's signer)", () => {
    const parsed = parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    if (!parsed.ok) throw new Error(parsed.problem);
    const at = new Date(1_614_265_330_000);
    expect(createWebhookSigner([parsed.key]).sign('msg_p5jXN8AQM9LWM0D4loKWxJek', at, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('sends webhook-id, webhook-timestamp, one v1 signature per secret (openssl agrees) and Idempotency-Key = webhook-id', () => {
    const [a, b] = [webhookSecret(), webhookSecret()];
    const now = new Date('2026-12-03T06:00:07.900Z');
    const request = workerRequest('compensation', [a.key, b.key], { now });
    const id = 'compensation:P1:P1S1';
    const signed = `${id}.1796277607.${request.body}`;
    expect(request.headers).toEqual({
      'Content-Type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': '1796277607',
      'webhook-signature': `v1,${opensslHmac(a.text, signed)} v1,${opensslHmac(b.text, signed)}`,
      'Idempotency-Key': id,
    });
    expect(JSON.parse(request.body)).toEqual({
      type: 'sub_order.compensate',
      timestamp: '2026-12-03T06:00:00.000Z',
      data: compensation,
    });
  });

  it('keeps the secrets out of what a log or a serialiser would show of a signer', () => {
    const secret = webhookSecret();
    const signer = createWebhookSigner([secret.key]);
    const shown = `${util.inspect(signer, { depth: 10, showHidden: true })} ${JSON.stringify(signer)}`;
    const raw = secret.key.export();
    expect(shown).not.toContain(secret.text.slice(6));
    expect(shown).not.toContain(raw.toString('hex'));
    expect(shown).not.toContain([...raw.subarray(0, 4)].join(', '));
    expect(signer.secrets).toBe(1);
  });
});

describe("the order service's check of a downstream request (verifyDownstreamRequest)", () => {
  const secret = webhookSecret();
  afterEach(() => jest.restoreAllMocks());

  it('accepts a compensation and a payment confirmation the worker signed, at the endpoint that expects each', () => {
    const verdict = verifyDownstreamRequest(secret.text, workerRequest('compensation', [secret.key]), 'compensation');
    expect(verdict).toEqual({
      ok: true,
      purpose: 'compensation',
      webhookId: 'compensation:P1:P1S1',
      type: 'sub_order.compensate',
      timestamp: '2026-12-03T06:00:00.000Z',
      data: compensation,
    });
    expect(verifyDownstreamRequest([secret.text], workerRequest('confirmation', [secret.key]), 'confirmation')).toEqual(
      {
        ok: true,
        purpose: 'confirmation',
        webhookId: 'confirmation:P1',
        type: 'order.paid',
        timestamp: '2026-12-03T06:00:00.000Z',
        data: confirmation,
      },
    );
  });

  it('is the standardwebhooks library: a request the library signs on its own verifies, and one the verifier accepts the library accepts', () => {
    const body = webhookBody('order.paid', 0, confirmationData(confirmation));
    const now = new Date();
    const headers = {
      'webhook-id': 'confirmation:P1',
      'webhook-timestamp': String(Math.floor(now.getTime() / 1_000)),
      'webhook-signature': new Webhook(secret.text).sign('confirmation:P1', now, body),
    };
    expect(verifyDownstreamRequest(secret.text, { headers, body }, 'confirmation').ok).toBe(true);
    const ours = workerRequest('compensation', [secret.key]);
    expect(() => new Webhook(secret.text).verify(ours.body, ours.headers as Record<string, string>)).not.toThrow();
  });

  it('rotation: a worker signing with old and new verifies at a service holding either; a service holding both verifies either', () => {
    const [oldSecret, newSecret, other] = [secret, webhookSecret(), webhookSecret()];
    const both = workerRequest('compensation', [oldSecret.key, newSecret.key]);
    expect(both.headers['webhook-signature']).toMatch(/^v1,\S+ v1,\S+$/);
    for (const held of [[oldSecret.text], [newSecret.text], [other.text, newSecret.text]]) {
      expect(verifyDownstreamRequest(held, both, 'compensation').ok).toBe(true);
    }
    for (const signedWith of [oldSecret, newSecret]) {
      const request = workerRequest('compensation', [signedWith.key]);
      expect(verifyDownstreamRequest([oldSecret.text, newSecret.text], request, 'compensation').ok).toBe(true);
      expect(verifyDownstreamRequest(`${newSecret.text} ${oldSecret.text}`, request, 'compensation').ok).toBe(true);
    }
    expect(verifyDownstreamRequest([other.text], both, 'compensation')).toMatchObject({
      ok: false,
      refusal: DownstreamRefusal.BAD_SIGNATURE,
    });
  });

  it('never verifies a compensation as a payment confirmation, nor the reverse, whatever the sub-order is called', () => {
    const paid: CompensationRequest = { ...compensation, outTradeNo: 'paid' };
    const compensationOfPaid = workerRequest('compensation', [secret.key], {
      id: compensationWebhookId(paid),
      data: compensationData(paid),
    });
    expect(compensationOfPaid.headers['webhook-id']).toBe('compensation:P1:paid');
    expect(compensationOfPaid.headers['webhook-id']).not.toBe(confirmationWebhookId(paid));
    expect(verifyDownstreamRequest(secret.text, compensationOfPaid, 'compensation').ok).toBe(true);
    expect(verifyDownstreamRequest(secret.text, compensationOfPaid, 'confirmation')).toMatchObject({
      ok: false,
      refusal: DownstreamRefusal.WRONG_PURPOSE,
    });
    expect(
      verifyDownstreamRequest(secret.text, workerRequest('confirmation', [secret.key]), 'compensation'),
    ).toMatchObject({
      ok: false,
      refusal: DownstreamRefusal.WRONG_PURPOSE,
    });
    // Signed with the real key under a confirmation's id, yet a compensation's type or data: still refused.
    const mixed = [
      workerRequest('confirmation', [secret.key], { type: DownstreamEventType.compensation }),
      workerRequest('confirmation', [secret.key], { data: compensationData(compensation) }),
    ];
    expect(mixed.map((r) => verifyDownstreamRequest(secret.text, r, 'confirmation'))).toMatchObject([
      { ok: false, refusal: DownstreamRefusal.WRONG_PURPOSE },
      { ok: false, refusal: DownstreamRefusal.BAD_BODY, message: 'data.source must be "WECHATPAY_QUERY"' },
    ]);
  });

  const signed = (): DownstreamRequest => workerRequest('compensation', [secret.key]);
  const withHeaders = (headers: Record<string, string>, body = signed().body): DownstreamRequest => ({
    headers: { ...signed().headers, ...headers },
    body,
  });
  it.each([
    ['no signature', () => withHeaders({ 'webhook-signature': '' }), DownstreamRefusal.MISSING_HEADER],
    ['no webhook-id', () => withHeaders({ 'webhook-id': '' }), DownstreamRefusal.MISSING_HEADER],
    [
      'a timestamp that is not seconds',
      () => withHeaders({ 'webhook-timestamp': '2026-12-03' }),
      DownstreamRefusal.STALE_TIMESTAMP,
    ],
    ['another secret', () => workerRequest('compensation', [webhookSecret().key]), DownstreamRefusal.BAD_SIGNATURE],
    ['a changed body', () => withHeaders({}, signed().body.replace('P1S1', 'P1S2')), DownstreamRefusal.BAD_SIGNATURE],
    [
      'a changed webhook-id',
      () => withHeaders({ 'webhook-id': 'compensation:P1:P1S2' }),
      DownstreamRefusal.BAD_SIGNATURE,
    ],
    [
      'a changed timestamp',
      () => withHeaders({ 'webhook-timestamp': String(Math.floor(Date.now() / 1_000) - 5) }),
      DownstreamRefusal.BAD_SIGNATURE,
    ],
    [
      'an Idempotency-Key other than the webhook-id',
      () => withHeaders({ 'Idempotency-Key': 'P1:P1S1' }),
      DownstreamRefusal.KEY_MISMATCH,
    ],
    [
      'a webhook-id the data does not imply',
      () => workerRequest('compensation', [secret.key], { id: 'compensation:P1:P1S9' }),
      DownstreamRefusal.KEY_MISMATCH,
    ],
    [
      'data without a field',
      () =>
        workerRequest('compensation', [secret.key], { data: { ...compensationData(compensation), mchid: undefined } }),
      DownstreamRefusal.BAD_BODY,
    ],
  ] as const)('refuses %s', (_what, request, refusal) => {
    const verdict = verifyDownstreamRequest(secret.text, request(), 'compensation');
    expect(verdict).toMatchObject({ ok: false, refusal });
    if (!verdict.ok) expect(verdict.message).not.toContain(secret.text.slice(6));
  });

  it('names the bad data field, and answers 401 only for what is not provably ours', () => {
    const verdict = verifyDownstreamRequest(
      secret.text,
      workerRequest('compensation', [secret.key], {
        data: { ...compensationData(compensation), tradeState: 'SUCCESS' },
      }),
      'compensation',
    );
    expect(verdict).toEqual({
      ok: false,
      refusal: DownstreamRefusal.BAD_BODY,
      message: 'data.tradeState must be one of CLOSED, REVOKED, REFUND, NOT_FOUND',
    });
    expect(
      Object.entries(DOWNSTREAM_REFUSAL_STATUS)
        .filter(([, s]) => s === 401)
        .map(([r]) => r),
    ).toEqual(['MISSING_HEADER', 'STALE_TIMESTAMP', 'BAD_SIGNATURE', 'BAD_SECRET']);
  });

  it('refuses a request more than 5 minutes old or ahead (the clock is the library’s: Date.now)', () => {
    const request = signed();
    const sentMs = Number(request.headers['webhook-timestamp']) * 1_000;
    jest.spyOn(Date, 'now').mockReturnValue(sentMs + 299_000);
    expect(verifyDownstreamRequest(secret.text, request, 'compensation').ok).toBe(true);
    for (const at of [sentMs + 301_000, sentMs - 301_000]) {
      jest.spyOn(Date, 'now').mockReturnValue(at);
      expect(verifyDownstreamRequest(secret.text, request, 'compensation')).toMatchObject({
        refusal: DownstreamRefusal.STALE_TIMESTAMP,
      });
    }
  });

  it('refuses with BAD_SECRET, naming the entry but never its value, when its own secrets are unusable', () => {
    for (const secrets of [[], ['not-a-whsec-secret-at-all'], [secret.text, 'whsec_!!!!']]) {
      const verdict = verifyDownstreamRequest(secrets, signed(), 'compensation');
      expect(verdict).toMatchObject({ ok: false, refusal: DownstreamRefusal.BAD_SECRET });
      if (!verdict.ok) expect(verdict.message).not.toMatch(/not-a-whsec|!!!!/);
    }
  });

  it('derives the webhook-id a body implies: a compensation, a payment confirmation, anything else none', () => {
    expect(expectedWebhookId(signed().body)).toBe('compensation:P1:P1S1');
    expect(expectedWebhookId(workerRequest('confirmation', [secret.key]).body)).toBe('confirmation:P1');
    expect(expectedWebhookId(JSON.stringify({ combineOutTradeNo: 'P1', outTradeNo: 'P1S1' }))).toBeUndefined();
    expect(expectedWebhookId('not json')).toBeUndefined();
  });
});
