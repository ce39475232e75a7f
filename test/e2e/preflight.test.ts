/**
 * The go-live check (`npm run preflight`, `combine-papay-worker preflight`) against the WeChat Pay peer over real HTTP
 * with real RSA signatures and the run's dev server: every check passes with good credentials, and each kind of
 * credential mistake a payments team makes when going live fails the check that names it. The first version of a
 * Worker Deployment receives nothing until `temporal worker deployment set-current-version`: the check warns while the
 * deployment does not exist, while it has no current version and while another build is current, and passes once the
 * documented command has made this build current.
 */
import { execFile } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { NativeConnection, Worker } from '@temporalio/worker';
import { waitFor } from '../../tools/devstack/dev-server';
import { ensureTemporalCli } from '../../tools/devstack/temporal-cli';
import { describeWith, OPENSSL } from '../harness/needs';
import { orderNo } from '../harness/orders';
import { createTestWorker, serverAddress, uniqueId } from '../harness/env';
import { TEST_HMAC_SECRET, testIdentity } from '../harness/stack';
import { seedOrder } from '../../tools/simulator/admin-client';
import { workerEnvFor } from '../../tools/simulator/keys';
import { startWechatpayPeer, type WechatpayPeer } from '../../tools/simulator/wechatpay/peer';
import { formatPreflight, runPreflight, type PreflightCheck } from '../../worker/preflight';

const ROOT = path.resolve(__dirname, '..', '..');
const identity = testIdentity();
const execFileAsync = promisify(execFile);
let peer: WechatpayPeer;
let dir: string;
let merchantCert: string;
/** The Worker Deployment of the good go-live: build 1.2.0 polls it and is current. */
const DEPLOYMENT = uniqueId('combine-papay-preflight');
const BUILD = '1.2.0';
const versions: { worker: Worker; connection: NativeConnection; running: Promise<void> }[] = [];

/** Starts a worker of version `buildId` of `deploymentName` (the test workflows), polling until afterAll. */
async function pollAs(deploymentName: string, buildId: string): Promise<void> {
  const { worker, connection } = await createTestWorker({
    taskQueue: uniqueId('preflight-versioned'),
    workerDeploymentOptions: {
      useWorkerVersioning: true,
      version: { deploymentName, buildId },
      defaultVersioningBehavior: 'PINNED',
    },
  });
  versions.push({ worker, connection, running: worker.run() });
}

/** The documented step, as an operator types it: `temporal worker deployment set-current-version` (once it polls). */
async function setCurrentVersion(deploymentName: string, buildId: string): Promise<void> {
  const cli = await ensureTemporalCli();
  const { address, namespace } = serverAddress();
  const args = ['worker', 'deployment', 'set-current-version', '--deployment-name', deploymentName];
  await waitFor(
    `version ${buildId} of ${deploymentName} to be made current`,
    async () => {
      const run = execFileAsync(cli, [
        ...args,
        '--build-id',
        buildId,
        '--yes',
        '--address',
        address,
        '--namespace',
        namespace,
      ]);
      return run.then(
        () => true,
        () => false,
      );
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}

/** The worker environment of a good go-live: the peer's keys, the run's dev server, the merchant certificate. */
function goodEnv(): Record<string, string> {
  const { address, namespace } = serverAddress();
  return {
    PATH: process.env.PATH ?? '',
    ...workerEnvFor(identity, { wechatpay: peer.url, compensation: 'http://127.0.0.1:9/compensate' }),
    COMPENSATION_HMAC_SECRET: TEST_HMAC_SECRET,
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    WECHATPAY_MERCHANT_CERT_PATH: merchantCert,
    // Live settings: the pay call's own 60 s floor, and a Worker Deployment version.
    WECHATPAY_MIN_PAY_WINDOW: '60s',
    WORKER_DEPLOYMENT_NAME: DEPLOYMENT,
    WORKER_BUILD_ID: BUILD,
  };
}

function byName(checks: PreflightCheck[]): Record<string, PreflightCheck> {
  return Object.fromEntries(checks.map((c) => [c.name, c]));
}

describeWith([OPENSSL])('preflight: the go-live check', () => {
  beforeAll(async () => {
    peer = await startWechatpayPeer(identity, { seed: 7 });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'preflight-'));
    // The merchant API certificate as the merchant platform issues it: the merchant key, the merchant serial.
    merchantCert = path.join(dir, 'apiclient_cert.pem');
    execFileSync('openssl', [
      ...['req', '-new', '-x509', '-key', identity.merchantPrivateKeyPath, '-out', merchantCert, '-days', '365'],
      ...['-set_serial', `0x${identity.merchantSerial}`, '-subj', '/O=Preflight Test Merchant/CN=1900000100'],
    ]);
    await pollAs(DEPLOYMENT, BUILD);
    await setCurrentVersion(DEPLOYMENT, BUILD);
  }, 120_000);
  afterAll(async () => {
    for (const v of versions) v.worker.shutdown();
    for (const v of versions) {
      await v.running;
      await v.connection.close();
    }
    await peer?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes every check with good credentials; the probe query is a signed ORDER_NOT_EXIST', async () => {
    const checks = byName(await runPreflight(goodEnv()));
    expect(Object.values(checks).map((c) => [c.name, c.status])).toEqual([
      ['configuration', 'PASS'],
      ['merchant certificate', 'PASS'],
      ['WeChat Pay keys', 'PASS'],
      ['pay window floor', 'PASS'],
      ['downstream signing', 'PASS'],
      ['deployment version', 'PASS'],
      ['clock', 'PASS'],
      ['Temporal', 'PASS'],
      ['namespace retention', 'PASS'],
      ['current version', 'PASS'],
      ['signed query', 'PASS'],
    ]);
    expect(checks['current version']!.detail).toBe(`${BUILD} is current; nothing ramping`);
    expect(checks['merchant certificate']!.detail).toMatch(
      /serial [0-9A-F]+ and the private key match it; valid until/,
    );
    expect(checks['signed query']!.detail).toMatch(/^PREFLIGHT\w+: ORDER_NOT_EXIST, signed and verified$/);
    expect(checks['WeChat Pay keys']!.detail).toContain(identity.publicKeyId);
    // The probe reached the peer as a signed GET of that order (nothing that changes an order).
    expect(peer.log.filter((e) => e.orderNo?.startsWith('PREFLIGHT')).map((e) => e.route)).toEqual(['query']);
  });

  it('npm run preflight -- --query <no> reports the order found, with its trade states, and exits 0', async () => {
    const input = {
      combineOutTradeNo: orderNo('PF'),
      combineAppid: 'wxd678efh567hg6787',
      subOrders: [{ mchid: '1900000109', outTradeNo: `${orderNo('PF').slice(0, 28)}S1`, subMchid: '1900000001' }],
    };
    await seedOrder(peer.url, input, 'CLOSED');
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        'npm',
        ['run', '--silent', 'preflight', '--', '--query', input.combineOutTradeNo],
        { cwd: ROOT, env: goodEnv(), timeout: 120_000 },
        (err, out) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: out }),
      );
    });
    expect(stdout).toContain(`PASS  signed query: ${input.combineOutTradeNo} found, signed and verified:`);
    expect(stdout).toContain(`${input.subOrders[0]!.outTradeNo} CLOSED`);
    expect(stdout.trim().split('\n').at(-1)).toBe('preflight: 11 passed, 0 warnings, 0 failed');
    expect(code).toBe(0);
  });

  it('a serial typed by hand that is not the certificate’s fails the configuration, naming the variable', async () => {
    const checks = await runPreflight({ ...goodEnv(), WECHATPAY_MERCHANT_SERIAL: 'ABCDEF0123456789' });
    expect(checks).toHaveLength(1);
    expect(checks[0]).toMatchObject({ name: 'configuration', status: 'FAIL' });
    expect(checks[0]!.detail).toMatch(/WECHATPAY_MERCHANT_SERIAL is not the serial of the certificate/);
  });

  it('a private key from another certificate fails the configuration against the certificate', async () => {
    const wrongKey = path.join(ROOT, 'test', 'fixtures', 'wrong-merchant-key.pem');
    const [config] = await runPreflight({ ...goodEnv(), WECHATPAY_PRIVATE_KEY_PATH: wrongKey });
    expect(config).toMatchObject({ name: 'configuration', status: 'FAIL' });
    expect(config!.detail).toContain('WECHATPAY_PRIVATE_KEY_PATH does not hold the private key of the certificate');
  });

  it('without the certificate, a wrong private key is found by the signed query (WeChat Pay refuses the signature)', async () => {
    const env = {
      ...goodEnv(),
      WECHATPAY_PRIVATE_KEY_PATH: path.join(ROOT, 'test', 'fixtures', 'wrong-merchant-key.pem'),
    };
    delete (env as Record<string, string | undefined>).WECHATPAY_MERCHANT_CERT_PATH;
    const checks = byName(await runPreflight(env));
    expect(checks['merchant certificate']!.status).toBe('SKIP');
    expect(checks['signed query']).toMatchObject({ status: 'FAIL' });
    expect(checks['signed query']!.detail).toMatch(
      /^HTTP 401 SIGN_ERROR: WeChat Pay refused our signature: check WECHATPAY_MCHID/,
    );
    const lines = formatPreflight(Object.values(checks));
    expect(lines.at(-1)).toBe('preflight: 9 passed, 0 warnings, 1 failed');
  });

  it('a wrong WeChat Pay public key fails the signed query: the answer does not verify', async () => {
    const merchantPublic = path.join(dir, 'not-wechatpay.pem');
    fs.writeFileSync(merchantPublic, identity.merchantPublicKey.export({ type: 'spki', format: 'pem' }));
    const checks = byName(await runPreflight({ ...goodEnv(), WECHATPAY_PUBLIC_KEY_PATH: merchantPublic }));
    expect(checks['signed query']).toMatchObject({ status: 'FAIL' });
    expect(checks['signed query']!.detail).toMatch(/whose signature did not verify .*WECHATPAY_PUBLIC_KEY_ID/);
  });

  it('a clock two minutes off fails the clock check; a closed port fails the query and Temporal checks', async () => {
    const skewed = byName(await runPreflight(goodEnv(), { now: () => Date.now() + 120_000 }));
    expect(skewed.clock).toMatchObject({ status: 'FAIL' });
    expect(skewed.clock!.detail).toMatch(/^this machine is 1[12]\d s ahead of WeChat Pay; .*sync the clock/);

    const closed = byName(
      await runPreflight({ ...goodEnv(), WECHATPAY_BASE_URL: 'http://127.0.0.1:9/', TEMPORAL_ADDRESS: '127.0.0.1:9' }),
    );
    expect(closed.clock!.status).toBe('FAIL');
    expect(closed.Temporal).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/^127\.0\.0\.1:9 namespace/) as unknown,
    });
    expect(closed['signed query']).toMatchObject({
      status: 'FAIL',
      detail: expect.stringMatching(/^no answer \(main host\)/) as unknown,
    });
  });

  it('warns until the first version of a Worker Deployment is made current, and while another build is current', async () => {
    const fresh = uniqueId('combine-papay-first');
    const { namespace } = serverAddress();
    const currentVersion = async (deploymentName: string, buildId: string): Promise<PreflightCheck> =>
      byName(await runPreflight({ ...goodEnv(), WORKER_DEPLOYMENT_NAME: deploymentName, WORKER_BUILD_ID: buildId }))[
        'current version'
      ]!;
    const command = `temporal worker deployment set-current-version --deployment-name ${fresh} --build-id 1.0.0 --namespace ${namespace} --yes`;

    // Before any worker of it polled (the go-live check of a new deployment): the deployment does not exist.
    expect(await currentVersion(fresh, '1.0.0')).toEqual({
      name: 'current version',
      status: 'WARN',
      detail: `Worker Deployment ${fresh} does not exist yet in ${namespace} (no worker of it has polled): no order starts on 1.0.0 until its workers poll and you run ${command}`,
    });

    // Its first build polls: a version, none current. New orders would reach no versioned worker.
    await pollAs(fresh, '1.0.0');
    await waitFor(
      `${fresh} to exist`,
      async () => !/does not exist/.test((await currentVersion(fresh, '1.0.0')).detail),
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(await currentVersion(fresh, '1.0.0')).toEqual({
      name: 'current version',
      status: 'WARN',
      detail: `Worker Deployment ${fresh} has no current version (versions: 1.0.0; nothing ramping): new orders reach no versioned worker until you run ${command}`,
    });

    // The documented step: the check passes.
    await setCurrentVersion(fresh, '1.0.0');
    expect(await currentVersion(fresh, '1.0.0')).toMatchObject({
      status: 'PASS',
      detail: '1.0.0 is current; nothing ramping',
    });

    // The next build's go-live check, before its rollout: another build is current, this one gets no new order yet.
    const next = await currentVersion(fresh, '1.1.0');
    expect(next.status).toBe('WARN');
    expect(next.detail).toMatch(
      /^1\.0\.0 is current \(nothing ramping\): 1\.1\.0 receives no new order until it ramps or you run temporal worker deployment set-current-version --deployment-name \S+ --build-id 1\.1\.0 /,
    );
  }, 120_000);
});
