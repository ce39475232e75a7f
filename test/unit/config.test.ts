import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ConfigErrors,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_WECHATPAY_MAX_RPS,
  describeConfig,
  loadWorkerConfig,
} from '../../worker/config';
import { loggableUrl, redactUrlText } from '../../worker/env';
import {
  BASE_HEAP_MB,
  CACHED_WORKFLOW_HEAP_MB,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  WORKER_NODE_FLAGS,
  cacheHeapProblem,
} from '../../worker/memory';
import { processOptions, wechatpayWorkerOptions } from '../../worker/worker';
import { workerArgs } from '../../tools/devstack/worker-args';
import { loadOrCreateIdentity, workerEnvFor } from '../../tools/simulator/keys';

const identity = loadOrCreateIdentity(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'simulator-keys'));
/** The Standard Webhooks secret of these tests (`whsec_<base64>`), and the bytes it holds. */
const SECRET_BYTES = 'unit-test-hmac-secret-0123456789';
const SECRET = `whsec_${Buffer.from(SECRET_BYTES).toString('base64')}`;
const base = (): Record<string, string> => ({
  ...workerEnvFor(identity, {
    wechatpay: 'https://api.mch.weixin.qq.com/',
    compensation: 'http://127.0.0.1:8080/compensations',
  }),
  COMPENSATION_HMAC_SECRET: SECRET,
});

function problems(env: Record<string, string | undefined>, heapMb?: number): string {
  try {
    loadWorkerConfig(env, heapMb);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigErrors);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('worker configuration from the environment', () => {
  it('loads a complete public-key-mode configuration with defaults', () => {
    const config = loadWorkerConfig(base());
    expect(config.taskQueue).toBe('combine-papay');
    expect(config.temporal.namespace).toBe('default');
    expect(config.wechatpay.wechatpaySerial).toBe(identity.publicKeyId);
    expect(Object.keys(config.wechatpay.verifiers)).toEqual([identity.publicKeyId]);
    expect(config.wechatpay.privateKey.type).toBe('private');
    expect(config.compensation.webhookSecrets?.map((k) => k.type)).toEqual(['secret']);
    expect(config.compensation.authRetryDelayMs).toBe(5 * 60_000);
    expect(config.wechatpay.timeoutMs).toBeLessThan(30_000);
  });

  it('reads Temporal connection settings through envconfig (address, namespace, API key, TLS)', () => {
    const config = loadWorkerConfig({
      ...base(),
      TEMPORAL_ADDRESS: 'my-ns.a1b2c.tmprl.cloud:7233',
      TEMPORAL_NAMESPACE: 'my-ns.a1b2c',
      TEMPORAL_API_KEY: 'api-key-value',
      TEMPORAL_TASK_QUEUE: 'papay-prod',
    });
    expect(config.temporal.connectionOptions.address).toBe('my-ns.a1b2c.tmprl.cloud:7233');
    expect(config.temporal.namespace).toBe('my-ns.a1b2c');
    expect(config.temporal.connectionOptions.apiKey).toBe('api-key-value');
    expect(config.temporal.connectionOptions.tls).toBeTruthy();
    expect(config.taskQueue).toBe('papay-prod');
  });

  it('loads mTLS client certificates from TEMPORAL_TLS_* paths', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-'));
    fs.writeFileSync(path.join(dir, 'client.pem'), 'CERT');
    fs.writeFileSync(path.join(dir, 'client.key'), 'KEY');
    const config = loadWorkerConfig({
      ...base(),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
    });
    const tls = config.temporal.connectionOptions.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe('CERT');
  });

  it('supports platform-certificate mode, announcing the certificate serial', () => {
    const env = {
      ...workerEnvFor(
        identity,
        { wechatpay: 'https://api.mch.weixin.qq.com/', compensation: 'http://x/c' },
        'PLATFORM_CERT',
      ),
      COMPENSATION_HMAC_SECRET: SECRET,
    };
    const config = loadWorkerConfig(env);
    expect(config.wechatpay.wechatpaySerial).toBe(identity.platformSerial);
  });

  it('names every missing or bad variable at once', () => {
    const message = problems({
      WECHATPAY_BASE_URL: 'ftp://x',
      WECHATPAY_TIMEOUT_MS: '60000',
      COMPENSATION_HMAC_SECRET: 'short',
    });
    for (const name of [
      'WECHATPAY_BASE_URL must be an http(s) URL',
      'WECHATPAY_MCHID is required',
      'WECHATPAY_MERCHANT_SERIAL is required',
      'WECHATPAY_PRIVATE_KEY_PATH is required',
      'WECHATPAY_PUBLIC_KEY_ID and WECHATPAY_PUBLIC_KEY_PATH (or WECHATPAY_PLATFORM_CERTS) are required',
      'WECHATPAY_TIMEOUT_MS must be an integer from 100 to 25000',
      'COMPENSATION_URL is required',
      'COMPENSATION_HMAC_SECRET must hold Standard Webhooks secrets (whsec_<base64>): its value is not of the form whsec_<base64>',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('requires the downstream webhook secret unless COMPENSATION_UNSIGNED=allow says otherwise explicitly', () => {
    expect(problems({ ...base(), COMPENSATION_HMAC_SECRET: '' })).toMatch(
      /COMPENSATION_HMAC_SECRET is required: one or more space-separated Standard Webhooks secrets \(whsec_<base64>\).*COMPENSATION_UNSIGNED=allow/,
    );
    expect(problems({ ...base(), COMPENSATION_HMAC_SECRET: '', COMPENSATION_UNSIGNED: 'yes' })).toMatch(
      /COMPENSATION_UNSIGNED must be "allow" when set, got "yes"/,
    );
    const unsigned = loadWorkerConfig({ ...base(), COMPENSATION_HMAC_SECRET: '', COMPENSATION_UNSIGNED: 'allow' });
    expect(unsigned.compensation.webhookSecrets).toBeUndefined();
    expect(describeConfig(unsigned).compensationSigned).toBe(false);
  });

  it('reads one or more space-separated whsec_ secrets, in order (rotation), and logs only how many', () => {
    const second = `whsec_${Buffer.from('the-next-secret-after-rotation!!').toString('base64')}`;
    const config = loadWorkerConfig({ ...base(), COMPENSATION_HMAC_SECRET: ` ${SECRET}  ${second} ` });
    expect(config.compensation.webhookSecrets?.map((k) => k.export().toString())).toEqual([
      SECRET_BYTES,
      'the-next-secret-after-rotation!!',
    ]);
    expect(config.confirmation.webhookSecrets).toBe(config.compensation.webhookSecrets);
    const described = JSON.stringify(describeConfig(config));
    expect(describeConfig(config)).toMatchObject({ compensationSigned: true, webhookSecrets: 2 });
    expect(described).not.toContain(SECRET.slice(6));
    expect(described).not.toContain(SECRET_BYTES);
  });

  it.each([
    ['a plain text secret', 'unit-test-hmac-secret-0123456789', 'its value is not of the form whsec_<base64>'],
    ['no whsec_ prefix', Buffer.from(SECRET_BYTES).toString('base64'), 'its value is not of the form whsec_<base64>'],
    ['base64 that is not', 'whsec_not*base64*at*all*0123456789', 'its value is not of the form whsec_<base64>'],
    ['unpadded base64', SECRET.replace(/=+$/, ''), 'its value is not of the form whsec_<base64>'],
    [
      'too short a key',
      `whsec_${Buffer.from('0123456789').toString('base64')}`,
      'its value decodes to 10 bytes, fewer than 16',
    ],
    ['a bad second entry', `${SECRET} whsec_`, 'entry 2 of 2 is not of the form whsec_<base64>'],
    ['a repeated entry', `${SECRET} ${SECRET}`, 'entry 2 of 2 repeats an earlier secret'],
  ])('refuses %s at start, naming the variable and never the value', (_what, value, problem) => {
    const message = problems({ ...base(), COMPENSATION_HMAC_SECRET: value });
    expect(message).toMatch(/^ {2}- COMPENSATION_HMAC_SECRET /m);
    expect(message).toContain(problem);
    for (const part of value.split(' ').filter((v) => v.length > 6)) expect(message).not.toContain(part.slice(6));
  });

  it('reads the downstream auth retry delay (COMPENSATION_AUTH_RETRY_DELAY) for both calls', () => {
    const config = loadWorkerConfig({ ...base(), COMPENSATION_AUTH_RETRY_DELAY: '90s' });
    expect(config.compensation.authRetryDelayMs).toBe(90_000);
    expect(config.confirmation.authRetryDelayMs).toBe(90_000);
    expect(problems({ ...base(), COMPENSATION_AUTH_RETRY_DELAY: '0s' })).toContain('COMPENSATION_AUTH_RETRY_DELAY');
  });

  it('reads the webhook secrets from a mounted file (COMPENSATION_HMAC_SECRET_PATH), never from both', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hmac-'));
    const file = path.join(dir, 'hmac-secret');
    fs.writeFileSync(file, `${SECRET}\n`);
    const { COMPENSATION_HMAC_SECRET: _unused, ...withoutSecret } = base();
    const config = loadWorkerConfig({ ...withoutSecret, COMPENSATION_HMAC_SECRET_PATH: file });
    expect(config.compensation.webhookSecrets?.map((k) => k.export().toString())).toEqual([SECRET_BYTES]);
    fs.writeFileSync(file, 'not-a-webhook-secret\n');
    const message = problems({ ...withoutSecret, COMPENSATION_HMAC_SECRET_PATH: file });
    expect(message).toContain('COMPENSATION_HMAC_SECRET_PATH must hold Standard Webhooks secrets (whsec_<base64>)');
    expect(message).not.toContain('not-a-webhook-secret');
    fs.writeFileSync(file, `${SECRET}\n`);
    expect(problems({ ...base(), COMPENSATION_HMAC_SECRET_PATH: file })).toContain(
      'COMPENSATION_HMAC_SECRET_PATH is set with COMPENSATION_HMAC_SECRET',
    );
    expect(problems({ ...withoutSecret, COMPENSATION_HMAC_SECRET_PATH: path.join(dir, 'missing') })).toContain(
      'cannot be read',
    );
  });

  it('requires https:// for WeChat Pay, except to a loopback host', () => {
    for (const [name, url] of [
      ['WECHATPAY_BASE_URL', 'http://api.mch.weixin.qq.com/'],
      ['WECHATPAY_BACKUP_BASE_URL', 'http://10.0.0.7:8080/'],
    ]) {
      expect(problems({ ...base(), [name!]: url })).toContain(
        `${name} must be an https:// URL (plain http:// only to a loopback host)`,
      );
    }
    for (const url of ['http://127.0.0.1:8240/', 'http://localhost:8240/', 'http://[::1]:8240/']) {
      expect(loadWorkerConfig({ ...base(), WECHATPAY_BASE_URL: url }).wechatpay.baseUrl).toBe(url);
    }
  });

  it('reads the pay window floor: 60 s by default, 0 s to 10 min, named when bad', () => {
    expect(loadWorkerConfig({ ...base(), WECHATPAY_MIN_PAY_WINDOW: '' }).payWindowFloorMs).toBe(60_000);
    expect(loadWorkerConfig({ ...base(), WECHATPAY_MIN_PAY_WINDOW: '90s' }).payWindowFloorMs).toBe(90_000);
    expect(problems({ ...base(), WECHATPAY_MIN_PAY_WINDOW: '11m' })).toMatch(
      /WECHATPAY_MIN_PAY_WINDOW must be a duration from 0s to 10m/,
    );
  });

  it('refuses a floor under 60 s unless WECHATPAY_SHORT_PAY_WINDOW=allow says it is a demo or a test', () => {
    const live = { ...base(), WECHATPAY_SHORT_PAY_WINDOW: undefined };
    expect(problems({ ...live, WECHATPAY_MIN_PAY_WINDOW: '0s' })).toMatch(
      /WECHATPAY_MIN_PAY_WINDOW is under 60s .*WECHATPAY_SHORT_PAY_WINDOW=allow only for demos and tests/,
    );
    expect(problems({ ...live, WECHATPAY_MIN_PAY_WINDOW: '59s' })).toMatch(/WECHATPAY_MIN_PAY_WINDOW is under 60s/);
    expect(loadWorkerConfig({ ...live, WECHATPAY_MIN_PAY_WINDOW: '60s' }).payWindowFloorMs).toBe(60_000);
    const allowed = { ...base(), WECHATPAY_MIN_PAY_WINDOW: '1s', WECHATPAY_SHORT_PAY_WINDOW: 'allow' };
    expect(loadWorkerConfig(allowed).payWindowFloorMs).toBe(1_000);
    expect(problems({ ...allowed, WECHATPAY_SHORT_PAY_WINDOW: 'yes' })).toMatch(
      /WECHATPAY_SHORT_PAY_WINDOW must be "allow" when set, got "yes"/,
    );
  });

  it('names a key file that is missing or holds no key, without echoing its content', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'badkey-'));
    fs.writeFileSync(path.join(dir, 'junk.pem'), 'this is not a key but a secret-looking string');
    expect(problems({ ...base(), WECHATPAY_PRIVATE_KEY_PATH: path.join(dir, 'missing.pem') })).toMatch(
      /WECHATPAY_PRIVATE_KEY_PATH points at .*missing\.pem, which cannot be read \(ENOENT\)/,
    );
    const message = problems({ ...base(), WECHATPAY_PUBLIC_KEY_PATH: path.join(dir, 'junk.pem') });
    expect(message).toMatch(/WECHATPAY_PUBLIC_KEY_PATH points at .*junk\.pem, which does not hold an RSA public key/);
    expect(message).not.toContain('secret-looking');
    // A private key given where the public key belongs is not accepted silently either way round.
    expect(problems({ ...base(), WECHATPAY_PRIVATE_KEY_PATH: identity.wechatpayPublicKeyPath })).toMatch(
      /does not hold an RSA private key/,
    );
  });

  it('refuses half of a public-key pair and malformed platform certificate lists', () => {
    expect(problems({ ...base(), WECHATPAY_PUBLIC_KEY_PATH: '' })).toMatch(
      /WECHATPAY_PUBLIC_KEY_PATH is required with WECHATPAY_PUBLIC_KEY_ID/,
    );
    expect(problems({ ...base(), WECHATPAY_PLATFORM_CERTS: 'nothex=/tmp/x' })).toMatch(
      /WECHATPAY_PLATFORM_CERTS must be "serial=path/,
    );
  });

  it('reads an optional PAYMENT_CONFIRMATION_URL with the compensation secret and timeout', () => {
    const without = loadWorkerConfig({ ...base(), COMPENSATION_TIMEOUT_MS: '4321' });
    expect(without.confirmation.url).toBeUndefined();
    expect(without.confirmation.timeoutMs).toBe(4321);
    expect(describeConfig(without).paymentConfirmationUrl).toBe('not set');

    const config = loadWorkerConfig({
      ...base(),
      COMPENSATION_TIMEOUT_MS: '4321',
      PAYMENT_CONFIRMATION_URL: ' http://127.0.0.1:8080/payment-confirmations ',
    });
    expect(config.confirmation.url).toBe('http://127.0.0.1:8080/payment-confirmations');
    expect(config.confirmation.timeoutMs).toBe(4321);
    expect(config.confirmation.webhookSecrets).toBe(config.compensation.webhookSecrets);
    expect(describeConfig(config)).toMatchObject({
      paymentConfirmationUrl: 'http://127.0.0.1:8080/payment-confirmations',
      paymentConfirmationSigned: true,
    });

    const unsigned = loadWorkerConfig({
      ...base(),
      COMPENSATION_HMAC_SECRET: '',
      COMPENSATION_UNSIGNED: 'allow',
      PAYMENT_CONFIRMATION_URL: 'https://orders.internal/confirm',
    });
    expect(unsigned.confirmation.webhookSecrets).toBeUndefined();
    expect(describeConfig(unsigned).paymentConfirmationSigned).toBe(false);
  });

  it('checks PAYMENT_CONFIRMATION_URL like COMPENSATION_URL, without echoing credentials', () => {
    expect(problems({ ...base(), PAYMENT_CONFIRMATION_URL: 'ftp://orders.internal/confirm' })).toMatch(
      /PAYMENT_CONFIRMATION_URL must be an http\(s\) URL/,
    );
    const message = problems({ ...base(), PAYMENT_CONFIRMATION_URL: 'mailto://user:hunter2-password@x/?token=abc' });
    expect(message).toContain('PAYMENT_CONFIRMATION_URL must be an http(s) URL');
    expect(message).not.toContain('hunter2-password');
    expect(message).not.toContain('token=abc');
  });

  it('logs every URL as origin and path only: no credentials, no query strings', () => {
    const config = loadWorkerConfig({
      ...base(),
      WECHATPAY_BASE_URL: 'https://api.mch.weixin.qq.com/',
      WECHATPAY_BACKUP_BASE_URL: 'https://api2.mch.weixin.qq.com/',
      COMPENSATION_URL: 'https://svc:comp-pass@orders.internal/compensations?token=comp-token',
      PAYMENT_CONFIRMATION_URL: 'https://svc:conf-pass@orders.internal/payment-confirmations?token=conf-token#frag',
    });
    const described = describeConfig(config);
    expect(described).toMatchObject({
      wechatpayBaseUrl: 'https://api.mch.weixin.qq.com/',
      wechatpayBackupBaseUrl: 'https://api2.mch.weixin.qq.com/',
      compensationUrl: 'https://orders.internal/compensations',
      paymentConfirmationUrl: 'https://orders.internal/payment-confirmations',
    });
    const text = JSON.stringify(described);
    for (const secret of ['comp-pass', 'comp-token', 'conf-pass', 'conf-token', 'svc:', '?token=', 'frag']) {
      expect(text).not.toContain(secret);
    }
    // The configuration itself keeps the full URLs: they are what is called.
    expect(config.confirmation.url).toContain('token=conf-token');
    expect(loggableUrl('not a url')).toBe('(not a URL)');
  });

  it('refuses WeChat Pay URLs with credentials (they would replace the signature) or a query, echoing neither', () => {
    const message = problems({
      ...base(),
      WECHATPAY_BASE_URL: 'https://proxy-user:proxy-pass@api.mch.weixin.qq.com/',
      WECHATPAY_BACKUP_BASE_URL: 'https://api2.mch.weixin.qq.com/?k=wx-query-secret',
    });
    expect(message).toContain(
      'WECHATPAY_BASE_URL must not carry credentials (user:password@), got https://api.mch.weixin.qq.com/ with them',
    );
    expect(message).toContain(
      'WECHATPAY_BACKUP_BASE_URL must not carry a query or fragment (request paths are appended), got https://api2.mch.weixin.qq.com/',
    );
    for (const secret of ['proxy-user', 'proxy-pass', 'wx-query-secret']) expect(message).not.toContain(secret);
  });

  it('never echoes user info or a query of a URL that does not parse, however it is written', () => {
    for (const bad of [
      'ftp://user:hunter2-password@orders.internal/c?token=abc',
      'ftp:user:hunter2-password@orders.internal/c',
      'user:hunter2-password@orders.internal/c#token=abc',
      'http://user:hunter2-password@[bad/c?token=abc',
    ]) {
      const message = problems({ ...base(), COMPENSATION_URL: bad });
      expect(message).toContain('COMPENSATION_URL must be an http(s) URL');
      expect({ bad, leaked: /hunter2|token=abc/.test(message) }).toEqual({ bad, leaked: false });
    }
    expect(redactUrlText('ftp:user:token@host/p?token=abc')).toBe('ftp:***@host/p');
  });

  it('reads WECHATPAY_MAX_RPS (default 50, 1 to 10000) for the task-queue limit and the client pacing', () => {
    const config = loadWorkerConfig(base());
    expect(config.wechatpayMaxRps).toBe(DEFAULT_WECHATPAY_MAX_RPS);
    expect(DEFAULT_WECHATPAY_MAX_RPS).toBe(50);
    expect(config.wechatpay.maxRequestsPerSecond).toBe(50);
    expect(describeConfig(config).wechatpayMaxRps).toBe(50);
    const five = loadWorkerConfig({ ...base(), WECHATPAY_MAX_RPS: ' 5 ' });
    expect(five.wechatpayMaxRps).toBe(5);
    expect(wechatpayWorkerOptions(five)).toMatchObject({
      taskQueue: 'combine-papay-wechatpay',
      maxTaskQueueActivitiesPerSecond: 5,
    });
    for (const bad of ['0', '-1', '2.5', 'fast', '10001']) {
      expect(problems({ ...base(), WECHATPAY_MAX_RPS: bad })).toContain(
        `WECHATPAY_MAX_RPS must be an integer from 1 to 10000, got "${bad}"`,
      );
    }
  });

  it('reads WECHATPAY_ANSWER_TOLERANCE (default 5s, 1s to 60s): how much earlier than its request an answer may be signed', () => {
    const config = loadWorkerConfig(base());
    expect(config.wechatpay.answerToleranceMs).toBe(5_000);
    expect(describeConfig(config).wechatpayAnswerTolerance).toBe('5s');
    expect(loadWorkerConfig({ ...base(), WECHATPAY_ANSWER_TOLERANCE: '10s' }).wechatpay.answerToleranceMs).toBe(10_000);
    for (const bad of ['500ms', '61s', 'soon', '-5s']) {
      expect(problems({ ...base(), WECHATPAY_ANSWER_TOLERANCE: bad })).toContain(
        `WECHATPAY_ANSWER_TOLERANCE must be a duration from 1s to 60s`,
      );
    }
  });

  it('reads the process settings: probes port, LOG_LEVEL checked, shutdown grace, deployment version', () => {
    const config = loadWorkerConfig(base());
    expect(config).toMatchObject({ logLevel: 'INFO', shutdownGraceMs: DEFAULT_SHUTDOWN_GRACE_MS });
    expect(config.healthPort).toBeUndefined();
    expect(config.deployment).toBeUndefined();
    expect(processOptions(config)).toEqual({ shutdownGraceTime: DEFAULT_SHUTDOWN_GRACE_MS });

    const set = loadWorkerConfig({
      ...base(),
      WORKER_HEALTH_PORT: '8081',
      LOG_LEVEL: 'warn',
      WORKER_SHUTDOWN_GRACE: '45s',
      WORKER_DEPLOYMENT_NAME: 'combine-papay',
      WORKER_BUILD_ID: '1.0.0-abc123',
    });
    expect(set).toMatchObject({ healthPort: 8081, logLevel: 'WARN', shutdownGraceMs: 45_000 });
    expect(processOptions(set)).toEqual({
      shutdownGraceTime: 45_000,
      workerDeploymentOptions: {
        version: { deploymentName: 'combine-papay', buildId: '1.0.0-abc123' },
        useWorkerVersioning: true,
        defaultVersioningBehavior: 'PINNED',
      },
    });
    expect(describeConfig(set)).toMatchObject({ deployment: 'combine-papay@1.0.0-abc123', shutdownGrace: '45s' });

    const bad = problems({
      ...base(),
      WORKER_HEALTH_PORT: '70000',
      LOG_LEVEL: 'verbose',
      WORKER_SHUTDOWN_GRACE: '0s',
      WORKER_BUILD_ID: 'a b',
    });
    expect(bad).toContain('WORKER_HEALTH_PORT must be an integer from 1 to 65535');
    expect(bad).toContain('LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, got "VERBOSE"');
    expect(bad).toContain('WORKER_SHUTDOWN_GRACE');
    expect(bad).toContain('WORKER_DEPLOYMENT_NAME is required with WORKER_BUILD_ID');
    expect(bad).toContain('WORKER_BUILD_ID must be 1-255 of');
  });

  it("reads the Temporal Worker Controller's names for the deployment version, and refuses two that disagree", () => {
    const controller = {
      ...base(),
      TEMPORAL_DEPLOYMENT_NAME: 'combine-papay-worker/payments',
      TEMPORAL_WORKER_BUILD_ID: '1.1.0-5f7c9d8b6',
    };
    const injected = loadWorkerConfig(controller);
    expect(injected.deployment).toEqual({ name: 'combine-papay-worker/payments', buildId: '1.1.0-5f7c9d8b6' });
    expect(processOptions(injected).workerDeploymentOptions?.version).toEqual({
      deploymentName: 'combine-papay-worker/payments',
      buildId: '1.1.0-5f7c9d8b6',
    });
    // Both names with the same value, or one of each pair: the same version.
    const same = {
      ...controller,
      WORKER_DEPLOYMENT_NAME: 'combine-papay-worker/payments',
      WORKER_BUILD_ID: '1.1.0-5f7c9d8b6',
    };
    expect(loadWorkerConfig(same).deployment).toEqual(injected.deployment);
    const mixed = { ...base(), WORKER_DEPLOYMENT_NAME: 'combine-papay', TEMPORAL_WORKER_BUILD_ID: '1.1.0' };
    expect(loadWorkerConfig(mixed).deployment).toEqual({ name: 'combine-papay', buildId: '1.1.0' });

    const disagree = problems({ ...controller, WORKER_DEPLOYMENT_NAME: 'combine-papay', WORKER_BUILD_ID: '1.0.0' });
    expect(disagree).toContain(
      'WORKER_DEPLOYMENT_NAME is "combine-papay" but TEMPORAL_DEPLOYMENT_NAME (set by the Temporal Worker Controller) ' +
        'is "combine-papay-worker/payments": set one of them, or both to the same value',
    );
    expect(disagree).toContain('WORKER_BUILD_ID is "1.0.0" but TEMPORAL_WORKER_BUILD_ID');
    expect(problems({ ...base(), TEMPORAL_WORKER_BUILD_ID: '1.1.0' })).toContain(
      'WORKER_DEPLOYMENT_NAME is required with TEMPORAL_WORKER_BUILD_ID (or TEMPORAL_DEPLOYMENT_NAME)',
    );
    expect(problems({ ...base(), TEMPORAL_DEPLOYMENT_NAME: 'combine-papay' })).toContain(
      'WORKER_BUILD_ID is required with TEMPORAL_DEPLOYMENT_NAME (or TEMPORAL_WORKER_BUILD_ID)',
    );
    expect(problems({ ...controller, TEMPORAL_WORKER_BUILD_ID: '1.1.0 beta' })).toContain(
      'TEMPORAL_WORKER_BUILD_ID must be 1-255 of 0-9 A-Z a-z . _ -',
    );
  });

  it('reads the order gauges: off by default, on in one process with the metrics port, every 30 s', () => {
    expect(loadWorkerConfig(base()).orderGaugesIntervalMs).toBeUndefined();
    const on = loadWorkerConfig({ ...base(), WORKER_ORDER_GAUGES: 'on', WORKER_METRICS_PORT: '9464' });
    expect(on.orderGaugesIntervalMs).toBe(30_000);
    expect(describeConfig(on).orderGauges).toBe('every 30s');
    expect(problems({ ...base(), WORKER_ORDER_GAUGES: 'on' })).toContain(
      'WORKER_ORDER_GAUGES is on but WORKER_METRICS_PORT is not set',
    );
    expect(problems({ ...base(), WORKER_ORDER_GAUGES: 'yes' })).toContain('WORKER_ORDER_GAUGES must be "on" or "off"');
  });

  it('describes itself without keys or secrets', () => {
    const text = JSON.stringify(describeConfig(loadWorkerConfig(base())));
    const pem = fs.readFileSync(identity.merchantPrivateKeyPath, 'utf8');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(pem.split('\n')[1]!);
    expect(text).toContain(identity.publicKeyId);
  });
});

/** The V8 heap limit (MB) of a node process started with `flags`. */
function heapOf(flags: readonly string[]): number {
  const out = execFileSync(
    process.execPath,
    [...flags, '-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'],
    { encoding: 'utf8' },
  );
  return Math.floor(Number(out) / 2 ** 20);
}

describe('worker memory settings', () => {
  const launchedHeap = heapOf(WORKER_NODE_FLAGS);

  it('launches workers with a bounded heap that the default cache fits in', () => {
    expect(launchedHeap).toBeGreaterThanOrEqual(256);
    expect(launchedHeap).toBeLessThan(heapOf([]));
    expect(cacheHeapProblem(DEFAULT_MAX_CACHED_WORKFLOWS, launchedHeap)).toBeUndefined();
    const config = loadWorkerConfig(base(), launchedHeap);
    expect(config.maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
    expect(describeConfig(config)).toMatchObject({ maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS });
  });

  it('npm run worker, npm start, the chaos run and the cluster test use the same flags', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.worker).toContain(`exec node ${WORKER_NODE_FLAGS.join(' ')} dist/worker/main.js`);
    // The tools (tools/, run from TypeScript with tsx) start the built worker, as `npm run worker` does.
    expect(workerArgs().slice(0, WORKER_NODE_FLAGS.length)).toEqual(WORKER_NODE_FLAGS);
    expect(workerArgs().slice(WORKER_NODE_FLAGS.length)).toEqual([
      path.resolve(__dirname, '..', '..', 'dist', 'worker', 'main.js'),
    ]);
  });

  it('refuses a cache the heap cannot hold, naming the variable, the need and what fits', () => {
    const fits = Math.floor((launchedHeap - BASE_HEAP_MB) / CACHED_WORKFLOW_HEAP_MB);
    expect(
      loadWorkerConfig({ ...base(), WORKER_MAX_CACHED_WORKFLOWS: String(fits) }, launchedHeap).maxCachedWorkflows,
    ).toBe(fits);
    const message = problems({ ...base(), WORKER_MAX_CACHED_WORKFLOWS: String(fits + 1) }, launchedHeap);
    expect(message).toContain(`WORKER_MAX_CACHED_WORKFLOWS asks for ${fits + 1} cached workflows`);
    expect(message).toContain(`allows ${launchedHeap} MB: set it to at most ${fits}`);
    // A larger heap (--max-old-space-size) holds it; 0 (no cache) always fits.
    expect(
      loadWorkerConfig({ ...base(), WORKER_MAX_CACHED_WORKFLOWS: String(fits + 1) }, launchedHeap * 2),
    ).toBeDefined();
    expect(loadWorkerConfig({ ...base(), WORKER_MAX_CACHED_WORKFLOWS: '0' }, BASE_HEAP_MB).maxCachedWorkflows).toBe(0);
  });
});
