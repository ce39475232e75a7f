/**
 * Secret hygiene, run last: no private key material, no webhook secret (whole, its base64, or the bytes it holds), no
 * credentials or token from a URL, no request signature (`WECHATPAY2-SHA256-RSA2048 …` Authorization, a downstream
 * `v1,<base64>` Standard Webhooks signature, the retired `sha256=…` one) in any workflow history
 * of this run's server, in the worker logs, or in the error texts the suites recorded. (test/e2e/secret-urls runs a
 * worker whose URLs carry credentials and a token, so the URL needles have something to catch.)
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient, workerLogFile } from '../harness/env';
import {
  TEST_HMAC_SECRET,
  TEST_HMAC_SECRET_BYTES,
  TEST_URL_SECRETS,
  testIdentity,
  withUrlSecrets,
} from '../harness/stack';

/** Distinctive pieces of each private key: its base64 body lines. */
function keyFragments(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length >= 40 && !l.startsWith('-----'));
}

/** The UTF-8 text of every byte field (payload data, metadata) anywhere in `value`. */
function decodedBytes(value: unknown, out: string[] = [], seen = new Set<unknown>()): string {
  if (value instanceof Uint8Array) {
    out.push(Buffer.from(value).toString('utf8'));
  } else if (value && typeof value === 'object' && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value)) decodedBytes(v, out, seen);
  }
  return out.join('\n');
}

describe('secret hygiene', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectClient();
  });
  afterAll(async () => {
    await client.connection.close();
  });

  const identity = testIdentity();
  const keyDir = identity.dir;
  const privateKeys = [
    identity.merchantPrivateKeyPath,
    path.join(keyDir, 'wechatpay_private_key.pem'),
    path.join(keyDir, 'platform_private_key.pem'),
    path.resolve(__dirname, '..', 'fixtures', 'wrong-merchant-key.pem'),
  ];
  /** What a URL may carry: user info (`user:password@`), the password alone, a `?token=` query. */
  const urlNeedles = [
    `${TEST_URL_SECRETS.user}:${TEST_URL_SECRETS.password}@`,
    TEST_URL_SECRETS.password,
    TEST_URL_SECRETS.token,
    '?token=',
  ];
  /** What signs a request: the WeChat Pay Authorization scheme (with its signature) and the downstream signatures. */
  const signatureNeedles = ['WECHATPAY2-SHA256-RSA2048', 'sha256='];
  /** A Standard Webhooks signature: `v1,` and the base64 of an HMAC-SHA256 (32 bytes). */
  const webhookSignature = /v1,[A-Za-z0-9+/]{43}=/;
  const needles = [
    TEST_HMAC_SECRET,
    TEST_HMAC_SECRET.slice('whsec_'.length),
    TEST_HMAC_SECRET_BYTES,
    'PRIVATE KEY-----',
    ...privateKeys.flatMap(keyFragments),
    ...urlNeedles,
    ...signatureNeedles,
  ];

  function findSecrets(haystack: string): string[] {
    const found = needles.filter((n) => haystack.includes(n)).map((n) => `${n.slice(0, 12)}…`);
    return webhookSignature.test(haystack) ? [...found, 'v1,<signature>…'] : found;
  }

  it('knows what to look for (the check can fail)', () => {
    expect(needles.length).toBeGreaterThan(40);
    expect(decodedBytes({ a: [{ data: Buffer.from(TEST_HMAC_SECRET) }] })).toContain(TEST_HMAC_SECRET);
    expect(findSecrets(fs.readFileSync(identity.merchantPrivateKeyPath, 'utf8')).length).toBeGreaterThan(0);
    // A URL as the secret-urls suite configures it, an Authorization header and a downstream signature are caught.
    expect(findSecrets(withUrlSecrets('https://orders.internal/compensations'))).toHaveLength(4);
    expect(findSecrets('Authorization: WECHATPAY2-SHA256-RSA2048 mchid="1900009191",signature="…"')).toHaveLength(1);
    expect(findSecrets('X-Compensation-Signature: sha256=0f1e2d')).toHaveLength(1);
    expect(findSecrets(`webhook-signature: v1,${Buffer.alloc(32, 7).toString('base64')}`)).toHaveLength(1);
    expect(findSecrets(`key ${TEST_HMAC_SECRET.slice(6)}`)).toHaveLength(1);
  });

  it('finds no key material or HMAC secret in any workflow history', async () => {
    let histories = 0;
    const leaks: string[] = [];
    for await (const wf of client.workflow.list({ query: '' })) {
      const history = await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory();
      const text = JSON.stringify(history);
      // Payloads are bytes (base64 in the JSON form): search their decoded text too.
      const decoded = decodedBytes(history);
      const found = [...findSecrets(text), ...findSecrets(decoded)];
      if (found.length) leaks.push(`${wf.workflowId}: ${found.join(', ')}`);
      histories += 1;
    }
    expect(histories).toBeGreaterThan(20);
    expect(leaks).toEqual([]);
  }, 300_000);

  it('finds none in the worker logs or the recorded error texts', () => {
    const files = [workerLogFile(), path.join(process.env.TEST_WORK_DIR!, 'errors.log')];
    let bytes = 0;
    for (const file of files) {
      const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      bytes += text.length;
      expect({ file, leaks: findSecrets(text) }).toEqual({ file, leaks: [] });
    }
    expect(bytes).toBeGreaterThan(1_000);
  });
});
