/**
 * Secret hygiene, run last: no private key material and no HMAC secret in any workflow history of this run's
 * server, in the worker logs, or in the error texts the suites recorded.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { connectClient, workerLogFile } from '../harness/env';
import { TEST_HMAC_SECRET, testIdentity } from '../harness/stack';

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
  const needles = [TEST_HMAC_SECRET, 'PRIVATE KEY-----', ...privateKeys.flatMap(keyFragments)];

  function findSecrets(haystack: string): string[] {
    return needles.filter((n) => haystack.includes(n)).map((n) => `${n.slice(0, 12)}…`);
  }

  it('knows what to look for (the check can fail)', () => {
    expect(needles.length).toBeGreaterThan(40);
    expect(decodedBytes({ a: [{ data: Buffer.from(TEST_HMAC_SECRET) }] })).toContain(TEST_HMAC_SECRET);
    expect(findSecrets(fs.readFileSync(identity.merchantPrivateKeyPath, 'utf8')).length).toBeGreaterThan(0);
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
