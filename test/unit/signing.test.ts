/**
 * Signatures checked against vectors computed independently of the project's code, with the `openssl` command.
 */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, createSecretKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createWechatpayClient } from '../../wechatpay/client';
import { downstreamSignature } from '../../activities/downstream';
import {
  DownstreamRefusal,
  expectedIdempotencyKey,
  verifyDownstreamRequest,
  type DownstreamRequest,
} from '../../client';
import { parseAuthorization, signAnswer, verifyRequestSignature } from '../../simulator/signing';

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

describe("the order service's check of a downstream request (verifyDownstreamRequest)", () => {
  const secret = 'order-service-shared-secret-0123';
  const key = createSecretKey(Buffer.from(secret));
  const body = JSON.stringify({ combineOutTradeNo: 'P1', outTradeNo: 'P1S1', reason: 'PAYMENT_TIMEOUT' });
  const now = Date.parse('2026-12-03T06:00:00Z');
  const ts = String(Math.floor(now / 1_000));
  const signed = (overrides: Record<string, string> = {}, text = body): DownstreamRequest => ({
    headers: {
      'idempotency-key': 'P1:P1S1',
      'x-compensation-timestamp': ts,
      'x-compensation-signature': downstreamSignature(key, ts, 'P1:P1S1', body),
      ...overrides,
    },
    body: text,
  });

  it('accepts what the worker signs (the same function signs every real request of the e2e suites)', () => {
    expect(verifyDownstreamRequest(secret, signed(), { nowMs: now, expectedIdempotencyKey: 'P1:P1S1' })).toEqual({
      ok: true,
      idempotencyKey: 'P1:P1S1',
    });
    expect(verifyDownstreamRequest(key, signed(), { nowMs: now + 299_000 }).ok).toBe(true);
  });

  it.each([
    ['no signature', signed({ 'x-compensation-signature': '' }), DownstreamRefusal.MISSING_HEADER],
    ['a stale timestamp', signed(), DownstreamRefusal.STALE_TIMESTAMP, now + 301_000],
    [
      'another secret',
      {
        ...signed(),
        headers: {
          ...signed().headers,
          'x-compensation-signature': downstreamSignature(
            createSecretKey(Buffer.from('x'.repeat(32))),
            ts,
            'P1:P1S1',
            body,
          ),
        },
      },
      DownstreamRefusal.BAD_SIGNATURE,
    ],
    ['a changed body', signed({}, body.replace('P1S1', 'P1S2')), DownstreamRefusal.BAD_SIGNATURE],
    ['another key', signed({ 'idempotency-key': 'P1:P1S2' }), DownstreamRefusal.BAD_SIGNATURE],
    ['a key the body does not imply', signed(), DownstreamRefusal.KEY_MISMATCH, now, 'P1:P1S9'],
  ] as const)('refuses %s', (_what, request, refusal, at = now, expectedIdempotencyKey?: string) => {
    const verdict = verifyDownstreamRequest(secret, request, {
      nowMs: at,
      ...(expectedIdempotencyKey ? { expectedIdempotencyKey } : {}),
    });
    expect(verdict).toMatchObject({ ok: false, refusal });
  });

  it('derives the key a body implies: a compensation, a payment confirmation, anything else none', () => {
    expect(expectedIdempotencyKey(JSON.stringify({ combineOutTradeNo: 'P1', outTradeNo: 'P1S1' }))).toBe('P1:P1S1');
    expect(expectedIdempotencyKey(JSON.stringify({ combineOutTradeNo: 'P1', source: 'WECHATPAY_QUERY' }))).toBe(
      'P1:paid',
    );
    expect(expectedIdempotencyKey(JSON.stringify({ outTradeNo: 'P1S1' }))).toBeUndefined();
    expect(expectedIdempotencyKey('not json')).toBeUndefined();
  });
});
