/**
 * `npm run test:image`: the worker image as an operator runs it. Builds the Node base from Debian packages (once per
 * machine), builds the repository's `Dockerfile` on it, and runs the container (non-root, keys mounted read-only as
 * files, probes and metrics on the host network) against a dev server, the WeChat Pay simulator and the order service:
 * the go-live check (`preflight`) passes in the image; the container reverses an order, whose state the image's
 * `combine-papay-order status` reads (a bad flag refused); then, with a second order's
 * compensation in flight, `podman stop` sends SIGTERM: the worker finishes that call within its grace and exits 0, and
 * a worker on the host finishes the order with every sub-order compensated exactly once. Ends with `image: …, 0 lost` (exit 0) or says what failed (exit 1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startOrder, type OrderInput, type StartedOrder } from '../../client';
import { seedOrder } from '../simulator/admin-client';
import { freePort, startDevServer, waitFor, type DevServer } from '../devstack/dev-server';
import { buildWorkerImage, ensureNodeBase, run, runWorkerContainer, type Container } from '../devstack/image';
import { sampleOrderInput } from '../devstack/order-input';
import { loadOrCreateIdentity, workerEnvFor, type SimulatorIdentity } from '../simulator/keys';
import { startOrderService, type OrderService } from '../simulator/order-service';
import { startWechatpayPeer, type WechatpayPeer } from '../simulator/wechatpay/peer';
import { Runtime } from '@temporalio/worker';
import { loadWorkerConfig } from '../../worker/config';
import { HEALTH_PATHS, probeStatus } from '../../worker/health';
import { createJsonLogger } from '../../worker/logger';
import { createProductWorker } from '../../worker/worker';

/** The Standard Webhooks secret of this run (`whsec_<base64>`). */
const HMAC = `whsec_${Buffer.from('image-test-hmac-secret-0123456789').toString('base64')}`;
const log = (line: string): void => console.log(`[image-test ${new Date().toISOString().slice(11, 19)}] ${line}`);
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface Stack {
  server: DevServer;
  peer: WechatpayPeer;
  orderService: OrderService;
  client: Client;
  env: Record<string, string>;
  hostEnv: Record<string, string>;
  keyDir: string;
  healthPort: number;
}

/** The key files a non-root container can read, and the worker environment pointing at them under /keys. */
function containerKeys(identity: SimulatorIdentity, work: string): { keyDir: string; paths: Record<string, string> } {
  const keyDir = path.join(work, 'keys');
  fs.mkdirSync(keyDir, { mode: 0o755 });
  const paths: Record<string, string> = {};
  for (const [name, file] of [
    ['WECHATPAY_PRIVATE_KEY_PATH', identity.merchantPrivateKeyPath],
    ['WECHATPAY_PUBLIC_KEY_PATH', identity.wechatpayPublicKeyPath],
  ] as const) {
    fs.copyFileSync(file, path.join(keyDir, path.basename(file)));
    fs.chmodSync(path.join(keyDir, path.basename(file)), 0o444);
    paths[name] = `/keys/${path.basename(file)}`;
  }
  return { keyDir, paths };
}

async function setUp(work: string): Promise<Stack> {
  const server = await startDevServer({ headless: true, logFile: path.join(work, 'server.log') });
  const identity = loadOrCreateIdentity(path.join(work, 'identity'));
  const peer = await startWechatpayPeer(identity, { settings: { delayMs: 3_000 } });
  const orderService = await startOrderService({ secrets: HMAC, delayMs: 3_000 });
  const urls = { wechatpay: peer.url, compensation: orderService.url };
  const hostEnv = {
    ...workerEnvFor(identity, urls),
    COMPENSATION_HMAC_SECRET: HMAC,
    TEMPORAL_ADDRESS: server.address,
    TEMPORAL_NAMESPACE: server.namespace,
    TEMPORAL_TASK_QUEUE: `image-${Date.now().toString(36)}`,
  };
  const { keyDir, paths } = containerKeys(identity, work);
  const healthPort = await freePort();
  const env = {
    ...hostEnv,
    ...paths,
    WORKER_HEALTH_PORT: String(healthPort),
    WORKER_METRICS_PORT: String(await freePort()),
  };
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  return { server, peer, orderService, client, env, hostEnv, keyDir, healthPort };
}

/** An order due in `dueInMs`, seeded at the simulated WeChat Pay as unpaid. */
async function placeOrder(
  stack: Stack,
  tag: string,
  dueInMs: number,
): Promise<{ input: OrderInput; handle: StartedOrder['handle'] }> {
  const no = `IMG${Date.now().toString(36).toUpperCase()}${tag}`;
  const input = sampleOrderInput(no, {
    paymentTimeout: 20_000 + dueInMs,
    orderCreatedAt: Date.now() - 20_000,
    payWindow: '2s',
  });
  await seedOrder(stack.peer.url, input, 'PAYING');
  const options = { taskQueue: stack.env.TEMPORAL_TASK_QUEUE!, minPayWindow: '1s' };
  const { handle } = await startOrder(stack.client, input, options);
  return { input, handle };
}

const effective = (stack: Stack, input: OrderInput): number =>
  stack.orderService.log.filter((e) => e.combineOutTradeNo === input.combineOutTradeNo && e.effective).length;
const received = (stack: Stack, input: OrderInput): number =>
  stack.orderService.log.filter((e) => e.combineOutTradeNo === input.combineOutTradeNo && e.route === 'compensate')
    .length;

/** Order 1 is reversed by the container; the worker's log lines are JSON. Answers order 1. */
async function reverseInContainer(stack: Stack, container: Container): Promise<OrderInput> {
  const { input: first, handle } = await placeOrder(stack, 'A', 1_000);
  const result = await handle.result();
  if (result.outcome !== 'REVERSED') throw new Error(`order 1 ended ${result.outcome}, expected REVERSED`);
  if (effective(stack, first) !== first.subOrders.length) throw new Error('order 1: not every sub-order compensated');
  const lines = container
    .output()
    .split('\n')
    .filter((l) => l.trim());
  const notJson = lines.filter((l) => {
    try {
      return typeof (JSON.parse(l) as { msg?: unknown }).msg !== 'string';
    } catch {
      return true;
    }
  });
  if (notJson.length > 0) throw new Error(`log lines that are not JSON: ${notJson.slice(0, 3).join(' | ')}`);
  log(
    `order 1 reversed by the container, ${first.subOrders.length} sub-orders compensated; ${lines.length} JSON log lines`,
  );
  return first;
}

/**
 * The runbook's commands from the image, as `kubectl exec` runs them in a worker pod: `combine-papay-order` on the
 * image's PATH with the worker's environment reads order 1's state, and refuses a bad flag naming it (exit 64).
 */
async function operatorCliInImage(stack: Stack, order: OrderInput): Promise<void> {
  const no = order.combineOutTradeNo;
  const status = runWorkerContainer(`combine-papay-order-${Date.now().toString(36)}`, stack.env, stack.keyDir, [
    'combine-papay-order',
    'status',
    no,
  ]);
  const code = await status.exited;
  const out = status.output();
  const phase = code === 0 ? (JSON.parse(out.slice(out.indexOf('{'))) as { phase?: string }).phase : undefined;
  if (phase !== 'REVERSED') {
    throw new Error(`combine-papay-order status in the image exited ${code}:\n${out}`);
  }
  const bad = runWorkerContainer(`combine-papay-order-bad-${Date.now().toString(36)}`, stack.env, stack.keyDir, [
    'combine-papay-order',
    'list',
    '--limit',
    'abc',
  ]);
  const badCode = await bad.exited;
  if (badCode !== 64 || !bad.output().includes('--limit must be a whole number')) {
    throw new Error(`combine-papay-order list --limit abc in the image exited ${badCode}:\n${bad.output()}`);
  }
  log(`combine-papay-order in the image: status ${no} → REVERSED; --limit abc refused (exit 64)`);
}

/** SIGTERM with order 2's compensation in flight: it finishes, the container exits 0, a host worker ends the order. */
async function stopWithWorkInFlight(stack: Stack, container: Container): Promise<number> {
  const { input: second, handle } = await placeOrder(stack, 'B', 500);
  const slow = second.subOrders[0]!.outTradeNo;
  stack.orderService.faults.add({ kind: 'DELAY', count: 1, orderNo: slow, delayMs: 4_000 });
  await waitFor(
    'order 2 compensation in flight',
    async () => stack.orderService.log.some((e) => e.outTradeNo === slow && e.fault === 'DELAY'),
    { timeoutMs: 60_000 },
  );
  const stopAt = Date.now();
  await run('podman', ['stop', '-t', '30', container.name]);
  const code = await container.exited;
  const stopMs = Date.now() - stopAt;
  if (code !== 0) throw new Error(`the container exited ${code} on SIGTERM:\n${container.output().slice(-2_000)}`);
  if (!container.output().includes('worker stopped')) throw new Error('the container did not log "worker stopped"');
  log(`container stopped on SIGTERM in ${secs(stopMs)}, exit 0 (the in-flight compensation took 4 s)`);

  const config = loadWorkerConfig({ ...process.env, ...stack.hostEnv });
  const host = await createProductWorker(config);
  const running = host.run();
  const result = await handle.result().finally(() => host.shutdown());
  await running;
  await host.connection.close();
  if (result.outcome !== 'REVERSED') throw new Error(`order 2 ended ${result.outcome}, expected REVERSED`);
  const [done, sent] = [effective(stack, second), received(stack, second)];
  if (done !== second.subOrders.length || sent !== second.subOrders.length) {
    throw new Error(
      `order 2: ${done} effective, ${sent} received compensations for ${second.subOrders.length} sub-orders`,
    );
  }
  return stopMs;
}

/**
 * The go-live check from the image, as a Kubernetes Job would run it before a rollout: the image's node and bin with
 * `preflight`, the worker's environment and the mounted keys; every check must pass (the certificate one is skipped:
 * no merchant certificate is mounted) but the current version's, which warns as before any first rollout (no worker
 * of the version has polled, none was made current). Answers the closing line's part, e.g. `preflight 9 passed`.
 */
async function preflightInImage(stack: Stack): Promise<string> {
  const command = ['node', 'bin/combine-papay-worker.js', 'preflight'];
  // The environment a rollout would go live with: the pay call's 60 s floor and a Worker Deployment version.
  const live = {
    ...stack.env,
    WECHATPAY_MIN_PAY_WINDOW: '60s',
    WORKER_DEPLOYMENT_NAME: 'combine-papay',
    WORKER_BUILD_ID: 'image-test',
  };
  const job = runWorkerContainer(`combine-papay-preflight-${Date.now().toString(36)}`, live, stack.keyDir, command);
  const code = await job.exited;
  const last = job.output().trim().split('\n').at(-1) ?? '';
  // One warning expected: version image-test has not been made current (no worker of it polls), as before a rollout.
  const warnings = job
    .output()
    .split('\n')
    .filter((l) => l.startsWith('WARN  '));
  const notCurrent = warnings.length === 1 && warnings[0]!.startsWith('WARN  current version: ');
  if (code !== 0 || !notCurrent || !/^preflight: \d+ passed, 1 warnings, 0 failed$/.test(last)) {
    throw new Error(`preflight in the image exited ${code}:\n${job.output()}`);
  }
  log(`preflight in the image: ${last}`);
  return `preflight ${/\d+ passed/.exec(last)![0]}`;
}

async function main(): Promise<void> {
  Runtime.install({ logger: createJsonLogger('WARN') });
  const began = Date.now();
  await ensureNodeBase(log);
  log(`Node base ready (${secs(Date.now() - began)}); building the Dockerfile`);
  const buildAt = Date.now();
  await buildWorkerImage();
  const buildMs = Date.now() - buildAt;
  log(`image built in ${secs(buildMs)}`);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-image-'));
  const stack = await setUp(work);
  const preflight = await preflightInImage(stack);
  const container = runWorkerContainer(`combine-papay-image-${Date.now().toString(36)}`, stack.env, stack.keyDir);
  try {
    const startAt = Date.now();
    const ready = async (): Promise<boolean> => (await probeStatus(stack.healthPort, HEALTH_PATHS.ready)) === 200;
    await waitFor('the container to be ready', ready, { timeoutMs: 90_000 });
    log(`container ready (/readyz 200) ${secs(Date.now() - startAt)} after podman run`);
    const first = await reverseInContainer(stack, container);
    await operatorCliInImage(stack, first);
    const stopMs = await stopWithWorkInFlight(stack, container);
    console.log(
      `image: built in ${secs(buildMs)}, ${preflight}, 2 orders reversed, combine-papay-order status read, stopped on SIGTERM in ${secs(stopMs)} with exit 0, 0 lost`,
    );
  } finally {
    await run('podman', ['rm', '-f', container.name]).catch(() => undefined);
    await stack.client.connection.close();
    await stack.peer.close();
    await stack.orderService.close();
    await stack.server.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`image test failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
