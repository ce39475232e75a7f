/**
 * The package as a team takes it: `npm pack`, installed into a fresh project with `--omit=dev` and no Go on `PATH`.
 * The installed `combine-papay-worker` (the built output, the prebuilt workflow bundle) serves this run's stack, and a
 * checkout that knows only the package (JavaScript, and TypeScript checked against its declarations) runs an order
 * through to its reversal, the installed `combine-papay-order` reads its state (and refuses a bad flag); the worker
 * then stops cleanly on SIGTERM. A dry `npm publish --provenance` ships the same files.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitFor } from '../../tools/devstack/dev-server';
import { runCommand, runCommandOk } from '../../tools/devstack/run-command';
import { HEALTH_PATHS, probeStatus } from '../../worker/health';
import { serverAddress } from '../harness/env';
import { dueFromNow, orderInput } from '../harness/orders';
import { seedOrder, startStack, type Stack } from '../harness/stack';

/** What the go-live check needs beyond the test stack's environment (its floor is a test's 1 s). */
const LIVE_SETTINGS = {
  WECHATPAY_MIN_PAY_WINDOW: '60s',
  WORKER_DEPLOYMENT_NAME: 'combine-papay',
  WORKER_BUILD_ID: 'pkg',
};
/** The checkout's order is due this long after the checkout is spawned: Node, connect, start and a status read fit. */
const CHECKOUT_DUE_MS = 15_000;
const ROOT = path.resolve(__dirname, '..', '..');
const PACKAGE = 'combine-papay-timeout';
/** A PATH with Node and the system's tools but no Go (and no repository tools). */
function pathWithoutGo(): string {
  const dirs = [path.dirname(process.execPath), '/usr/bin', '/bin'];
  for (const dir of dirs) expect(fs.existsSync(path.join(dir, 'go'))).toBe(false);
  return dirs.join(path.delimiter);
}

const CHECKOUT_JS = `
const fs = require('node:fs');
const { Client, Connection } = require('@temporalio/client');
const { startOrderAndBeginPayment, orderStatus, OrderNotAnsweringError } = require('${PACKAGE}');
(async () => {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const connection = await Connection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: process.env.TEMPORAL_NAMESPACE });
  const { handle, payment } = await startOrderAndBeginPayment(client, input, { attemptId: 'pay-1' });
  const status = await orderStatus(client, input.combineOutTradeNo, { timeoutMs: '10s' });
  const result = await handle.result();
  console.log(JSON.stringify({ payments: payment.payments, phase: status.phase, outcome: result.outcome,
    namedError: typeof OrderNotAnsweringError === 'function',
    schema: require('${PACKAGE}/order-input.schema.json').title }));
  await connection.close();
})().catch((err) => { console.error(err); process.exit(1); });
`;

const CHECKOUT_TS = `
import { Client } from '@temporalio/client';
import { startOrder, markPaid, OrderPhase, type OrderInput, type OrderStatus, type StartedPayment } from '${PACKAGE}';
export async function place(client: Client, input: OrderInput): Promise<OrderStatus['phase']> {
  const { handle } = await startOrder(client, input, { taskQueue: 'checkout' });
  const paid = await markPaid(client, input.combineOutTradeNo, { transactionId: '4200' }, { timeoutMs: 3000 });
  const phase: OrderPhase = paid.phase;
  const started: StartedPayment | undefined = undefined;
  void handle; void started;
  return phase;
}
`;

describe('the package, installed by a consumer', () => {
  let stack: Stack;
  let dir: string;
  let worker: { child: ChildProcess; output: () => string; exited: Promise<number | null> } | undefined;

  beforeAll(async () => {
    stack = await startStack();
    await stack.stopWorker();
    dir = fs.mkdtempSync(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'consumer-'));
  });
  afterAll(async () => {
    if (worker?.child.pid && worker.child.exitCode === null) process.kill(-worker.child.pid, 'SIGKILL');
    await stack?.stop();
  });

  it('installs without Go or dev dependencies, serves an order with its own worker, and stops on SIGTERM', async () => {
    // The package: built output only (the repository's `prepack` builds; here the suite builds first, so it is fresh).
    execFileSync(process.execPath, ['tools/scripts/build-if-stale.js'], { cwd: ROOT });
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8' });
    const [{ filename, files }] = JSON.parse(packed) as [{ filename: string; files: { path: string }[] }];
    // The registry's README links into the repository (prepack/postpack, tools/scripts/pack-readme.js); the working
    // copy is as it was.
    const packedReadme = execFileSync('tar', ['-xOf', path.join(dir, filename), 'package/README.md'], {
      encoding: 'utf8',
    });
    const links = [...packedReadme.matchAll(/\]\(([^)\s]+)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(10);
    expect(links.filter((l) => !/^(https:|mailto:|#)/.test(l))).toEqual([]);
    expect(packedReadme).toMatch(/\]\(https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[^/]+\/docs\/operations\.md\)/);
    expect(packedReadme).toMatch(
      /!\[[^\]]*\]\(https:\/\/raw\.githubusercontent\.com\/[^)]+\/docs\/web-ui-needs-attention\.png\)/,
    );
    expect(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).toBe(readme);
    const packedPaths = files.map((f) => f.path);
    expect(packedPaths).toEqual(
      expect.arrayContaining([
        'dist/client/index.d.ts',
        'dist/client/cli.js',
        'dist/workflow-bundle.js',
        'schema/order-input.schema.json',
        'bin/combine-papay-order.js',
        'LICENSE',
        'SECURITY.md',
      ]),
    );
    // The release as CI would publish it, dry (no login, offline): the same files, with its licence and provenance.
    const dryRun = JSON.parse(
      execFileSync('npm', ['publish', '--dry-run', '--provenance', '--ignore-scripts', '--offline', '--json'], {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ) as Record<string, { files: { path: string }[] }> & { files?: { path: string }[] };
    const published = dryRun[PACKAGE]?.files ?? dryRun.files ?? [];
    expect(published.map((f) => f.path).sort()).toEqual([...packedPaths].sort());
    expect(
      packedPaths.filter((p) => /^(tools|test)\/|^dist\/(tools|devstack|simulator|scripts|bench|test)\//.test(p)),
    ).toEqual([]);

    const consumer = path.join(dir, 'checkout');
    fs.mkdirSync(consumer);
    fs.writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'checkout', private: true }));
    const env = { ...process.env, PATH: pathWithoutGo(), npm_config_update_notifier: 'false' };
    const npmCli = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
    execFileSync(
      process.execPath,
      [npmCli, 'install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, filename)],
      { cwd: consumer, env, stdio: 'pipe' },
    );
    const installed = path.join(consumer, 'node_modules');
    expect(fs.existsSync(path.join(installed, PACKAGE, 'dist', 'client', 'index.js'))).toBe(true);
    for (const dev of ['typescript', 'jest', '@temporalio/testing', 'playwright-core']) {
      expect({ dev, installed: fs.existsSync(path.join(installed, dev)) }).toEqual({ dev, installed: false });
    }
    expect(fs.existsSync(path.join(installed, PACKAGE, '.tools'))).toBe(false);

    // The production worker, as documented: the installed bin with the environment's configuration.
    const healthPort = await freePort();
    const child = spawn(path.join(installed, '.bin', 'combine-papay-worker'), [], {
      cwd: consumer,
      env: { ...env, ...stack.env, WORKER_HEALTH_PORT: String(healthPort), WORKFLOW_BUNDLE_PATH: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: the cleanup stops the bin and the worker it runs, whatever happened.
      detached: true,
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    worker = { child, output: () => out, exited: new Promise((r) => child.once('exit', (code) => r(code))) };
    const ready = async (): Promise<boolean> => (await probeStatus(healthPort, HEALTH_PATHS.ready)) === 200;
    await waitFor('the installed worker to be ready', ready, { timeoutMs: 60_000 });
    expect(out).not.toContain('Workflow bundle created');

    // A checkout that knows only the package.
    const input = orderInput({ dueInMs: 1_000 });
    await seedOrder(stack.peer, input);
    // The go-live check from the installed bin, with the worker's environment: the seeded order answers signed.
    // Child processes run while this process serves the simulated WeChat Pay and order service: never block it.
    const preflight = await runCommandOk(
      path.join(installed, '.bin', 'combine-papay-worker'),
      ['preflight', '--query', input.combineOutTradeNo],
      // Live settings, as a rollout goes live: the pay call's 60 s floor and a Worker Deployment version.
      { cwd: consumer, env: { ...env, ...stack.env, ...LIVE_SETTINGS }, timeoutMs: 60_000 },
    );
    expect(preflight).toContain(`PASS  signed query: ${input.combineOutTradeNo} found, signed and verified`);
    // One warning, on purpose: no worker of this version has polled or been made current, as before a first rollout.
    expect(preflight).toMatch(
      /^WARN  current version: .*set-current-version --deployment-name combine-papay --build-id pkg /m,
    );
    expect(preflight.trim().split('\n').at(-1)).toBe('preflight: 9 passed, 1 warnings, 0 failed');
    // Its deadline counts from now, far from the checkout's start and status read (which must see AWAITING_PAYMENT).
    fs.writeFileSync(path.join(consumer, 'order.json'), JSON.stringify(dueFromNow(input, CHECKOUT_DUE_MS)));
    fs.writeFileSync(path.join(consumer, 'checkout.js'), CHECKOUT_JS);
    const { address, namespace } = serverAddress();
    const answer = await runCommandOk(process.execPath, ['checkout.js', 'order.json'], {
      cwd: consumer,
      env: { ...env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace, TEMPORAL_TASK_QUEUE: stack.taskQueue },
      timeoutMs: 90_000,
    });
    expect(JSON.parse(answer)).toEqual({
      payments: 1,
      phase: 'AWAITING_PAYMENT',
      outcome: 'REVERSED',
      namedError: true,
      schema: 'OrderInput',
    });
    expect(
      stack.orderService.log.filter((e) => e.combineOutTradeNo === input.combineOutTradeNo && e.effective),
    ).toHaveLength(input.subOrders.length);

    // The operator's CLI from the installed bin, as the runbook has it: the order's state, and a bad flag refused.
    const orderCli = path.join(installed, '.bin', 'combine-papay-order');
    const operatorEnv = { ...env, TEMPORAL_ADDRESS: address, TEMPORAL_NAMESPACE: namespace };
    const status = await runCommandOk(orderCli, ['status', input.combineOutTradeNo], {
      cwd: consumer,
      env: operatorEnv,
      timeoutMs: 60_000,
    });
    expect(JSON.parse(status)).toMatchObject({ combineOutTradeNo: input.combineOutTradeNo, phase: 'REVERSED' });
    const refused = await runCommand(orderCli, ['list', '--limit', 'abc'], { cwd: consumer, env: operatorEnv });
    expect({ code: refused.code, stdout: refused.stdout }).toEqual({ code: 64, stdout: '' });
    expect(refused.stderr).toContain('--limit must be a whole number from 1 to 1000 (got "abc")');

    // TypeScript sees the package's declarations through its `exports`.
    fs.writeFileSync(path.join(consumer, 'checkout.ts'), CHECKOUT_TS);
    await runCommandOk(
      process.execPath,
      [
        path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        '--module',
        'node16',
        '--moduleResolution',
        'node16',
        '--target',
        'es2022',
        'checkout.ts',
      ],
      { cwd: consumer },
    );

    child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(out).toContain('worker stopped');
  }, 240_000);
});
