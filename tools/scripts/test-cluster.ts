/**
 * `npm run test:cluster`: the product, unchanged, on a production-shaped Temporal
 * (`tools/devstack/cluster/local-cluster.ts`: PostgreSQL persistence and visibility, four service processes, mTLS). Two
 * product worker processes connect through envconfig with the cluster's client certificate (the first registers the
 * search attributes on SQL visibility); a worker with a certificate from another CA must be refused. A batch of orders
 * of every chaos plan runs its whole lifecycle (an operator retries half of those that stop in NEEDS_ATTENTION) while
 * the history service and then the matching service are SIGKILLed and restarted; the time until the cluster answers
 * again is measured after each kill. Then the chaos invariants (`checkInvariants`) and the visibility queries are
 * checked, the Java and Go checkout templates run their own test suites against the cluster over mTLS
 * (`tools/devstack/templates.ts`); the day is reconciled against the peer's trade bill (`tools/devstack/books.ts`), and
 * the run ends with `cluster: N orders, K service kills, V invariant violations, bill: D days, R rows, … X mismatches`.
 *
 * Sizes from the environment: CLUSTER_ORDERS (44, plus a sentinel), CLUSTER_FAULT_RATE (0.1 of WeChat Pay calls),
 * CLUSTER_SEED (11), CLUSTER_MAX_MS (6 minutes to settle), CLUSTER_KEEP=1 keeps the work folder.
 */
import { balanceBooks, booksLine } from '../devstack/books';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { cancelOrder } from '../../client';
import { startCluster, type LocalCluster } from '../devstack/cluster/local-cluster';
import { connectWithEnv } from '../devstack/cluster/connect';
import {
  tryForeignClientCert,
  killAndRestart,
  type KillRecord,
  type WrongCertOutcome,
} from '../devstack/cluster/kills';
import {
  asCheckedOrders,
  checkVisibility,
  followClusterOrders,
  placeClusterOrders,
  CLUSTER_PLANS,
  planClusterOrders,
  type ClusterOrder,
  type OrderRun,
} from '../devstack/cluster/orders';
import { withRetry } from '../devstack/checkout-sim';
import { projectRoot } from '../devstack/data-dir';
import { stopProcess, waitFor } from '../devstack/dev-server';
import { describeTemplateRun, runTemplateTests } from '../devstack/templates';
import { workerArgs } from '../devstack/worker-args';
import { seededRandom } from '../simulator/fault-book';
import { checkInvariants, refusalsLostWithKill } from '../devstack/chaos/invariants';
import { loadOrCreateIdentity, workerEnvFor } from '../simulator/keys';
import { startOrderService } from '../simulator/order-service';
import { startWechatpayPeer } from '../simulator/wechatpay/peer';
import { addClusterFaults } from '../devstack/chaos/plan';
import { CUSTOM_SEARCH_ATTRIBUTES } from '../../workflows/contract';

const ORDERS = Number(process.env.CLUSTER_ORDERS ?? 44);
const FAULT_RATE = Number(process.env.CLUSTER_FAULT_RATE ?? 0.1);
const SEED = Number(process.env.CLUSTER_SEED ?? 11);
const MAX_MS = Number(process.env.CLUSTER_MAX_MS ?? 6 * 60_000);
/** The Standard Webhooks secret of this run (`whsec_<base64>`). */
const HMAC = `whsec_${Buffer.from('cluster-run-hmac-secret-0123456789').toString('base64')}`;
/** When each service is killed, ms after the first order starts (deadlines fall from 5 s to 35 s). */
const KILLS = [
  { service: 'history', at: 15_000 },
  { service: 'matching', at: 30_000 },
] as const;

interface Stack extends OrderRun {
  cluster: LocalCluster;
  workers: ChildProcess[];
  wrongCert: WrongCertOutcome;
  registeredBy: string;
}

const log = (line: string): void => console.log(`[cluster-test ${new Date().toISOString().slice(11, 19)}] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const began = Date.now();
  const stack = await setUp();
  const orders = planClusterOrders(stack, ORDERS, 30_000);
  addClusterFaults(stack.peer, orders, FAULT_RATE);
  log(
    `placing ${orders.length} orders (every plan about ${Math.floor(ORDERS / CLUSTER_PLANS.length)} times, a sentinel), fault rate ${FAULT_RATE}`,
  );
  const t0 = Date.now();
  const { payments } = await placeClusterOrders(stack, orders);
  const sentinel = orders[orders.length - 1]!.input.combineOutTradeNo;
  const following = followClusterOrders(stack, orders, MAX_MS, log);
  const kills = await killServices(stack, t0, sentinel);
  await withRetry(() => cancelOrder(stack.client, sentinel, 'test:cluster: the kills are over'));
  await Promise.all([following, payments]);
  const violations = await check(stack, orders, kills);
  // The books balance: every day of the run reconciled against the peer's trade bill, on the cluster's visibility.
  const books = await balanceBooks(stack.client, {
    peerUrl: stack.peer.url,
    taskQueue: stack.taskQueue,
    subMchids: [...new Set(orders.flatMap((o) => o.input.subOrders.map((s) => s.subMchid)))],
    since: began,
  });
  violations.push(...books.problems.map((p) => `the books balance: ${p}`));
  violations.push(...(await runTemplates(stack)));
  report(stack, orders, kills, violations, Date.now() - began);
  await tearDown(stack);
  console.log(
    `cluster: ${orders.length} orders, ${kills.length} service kills, ${violations.length} invariant violations, ${booksLine(books)}`,
  );
  process.exit(violations.length === 0 ? 0 : 1);
}

/** The cluster, the peers in-process, the foreign-certificate check, two workers, a client. */
async function setUp(): Promise<Stack> {
  const cluster = await startCluster({ log, keep: process.env.CLUSTER_KEEP === '1' });
  log(`cluster up in ${secs(cluster.startupMs)} at ${cluster.address}; work folder ${cluster.dir}`);
  const identity = loadOrCreateIdentity(path.join(cluster.dir, 'keys'));
  const peer = await startWechatpayPeer(identity, { seed: SEED, settings: { delayMs: 3_000 } });
  const orderService = await startOrderService({ secrets: HMAC, seed: SEED + 1, delayMs: 3_000 });
  const taskQueue = `cluster-${Date.now().toString(36)}`;
  const urls = { wechatpay: peer.url, compensation: orderService.url, confirmation: orderService.confirmationUrl };
  const env = {
    ...process.env,
    ...cluster.env,
    ...workerEnvFor(identity, urls),
    COMPENSATION_HMAC_SECRET: HMAC,
    TEMPORAL_TASK_QUEUE: taskQueue,
    WECHATPAY_TIMEOUT_MS: '1500',
    COMPENSATION_TIMEOUT_MS: '1500',
    WECHATPAY_AUTH_RETRY_DELAY: '2s',
    LOG_LEVEL: 'INFO',
  };
  const args = workerArgs();
  const wrongCert = await tryForeignClientCert(cluster, args, env, projectRoot());
  log(`worker with a client certificate from another CA: exit ${wrongCert.exitCode} after ${secs(wrongCert.ms)}`);
  const connection = await connectWithEnv(cluster.env);
  const client = new Client({ connection, namespace: cluster.namespace });
  const startWorker = (slot: number): ChildProcess => {
    const out = fs.openSync(path.join(cluster.dir, `product-worker-${slot}.log`), 'a');
    const child = spawn(process.execPath, args, { cwd: projectRoot(), env, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    return child;
  };
  const workers = [startWorker(0)];
  const registeredBy = await searchAttributesReady(client, cluster);
  workers.push(startWorker(1));
  await workerPolling(cluster, 1);
  const random = seededRandom(SEED);
  return { cluster, peer, orderService, client, taskQueue, workers, wrongCert, registeredBy, random };
}

/** Waits until worker `slot` says it polls (it has connected and checked the search attributes). */
async function workerPolling(cluster: LocalCluster, slot: number): Promise<string> {
  const file = path.join(cluster.dir, `product-worker-${slot}.log`);
  let text = '';
  await waitFor(
    `product worker ${slot} to poll`,
    async () => {
      text = fs.readFileSync(file, 'utf8');
      return text.includes('worker polling task queue');
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; its log ${file}:\n${text.slice(-1500)}`);
  });
  return text;
}

/**
 * Waits until the first worker polls, having registered the search attributes (SQL visibility maps them to its
 * custom columns, per namespace), and until visibility queries take them; answers who registered them.
 */
async function searchAttributesReady(client: Client, cluster: LocalCluster): Promise<string> {
  const workerLog = await workerPolling(cluster, 0);
  const names = CUSTOM_SEARCH_ATTRIBUTES.map((sa) => sa.name);
  const res = await client.connection.operatorService.listSearchAttributes({ namespace: cluster.namespace });
  const missing = names.filter((n) => !(n in (res.customAttributes ?? {})));
  if (missing.length > 0)
    throw new Error(`the worker polls, yet the search attributes ${missing.join(', ')} are missing`);
  await waitFor('visibility to take PaymentPhase', async () => {
    await client.workflow.count(`PaymentPhase = 'PAID'`);
    return true;
  });
  return /registered search attributes/.test(workerLog) ? 'the product worker at its start' : 'someone before the run';
}

/** SIGKILLs and restarts history, then matching, at their times; the records, with time to recover. */
async function killServices(stack: Stack, t0: number, probeOrder: string): Promise<KillRecord[]> {
  const records: KillRecord[] = [];
  for (const { service, at } of KILLS) {
    await sleep(t0 + at - Date.now());
    log(`SIGKILL the ${service} service (pid ${stack.cluster.services[service].child?.pid}); restarting it in 1 s`);
    const record = await killAndRestart(stack.cluster, service, {
      client: stack.client,
      combineOutTradeNo: probeOrder,
    });
    log(
      `${service}: restarted after ${secs(record.downMs)}, answering again ${secs(record.recoveredMs)} after the kill`,
    );
    records.push(record);
  }
  return records;
}

/** The chaos invariants, the operator retries, visibility, and the foreign certificate's refusal. */
async function check(stack: Stack, orders: ClusterOrder[], kills: KillRecord[]): Promise<string[]> {
  const input = {
    orders: asCheckedOrders(orders),
    peerLog: stack.peer.log,
    peerOrders: stack.peer.orders,
    orderServiceLog: stack.orderService.log,
    compensated: stack.orderService.compensated,
    confirmations: stack.orderService.confirmations,
    killedAt: kills.map((k) => k.killedAt),
  };
  const violations = checkInvariants(input);
  const lost = refusalsLostWithKill(input).length;
  if (lost > 0) log(`${lost} NEEDS_ATTENTION refusal(s) within 3 s of a service kill (allowed to end REVERSED)`);
  if (!orders.some((o) => o.retriedAt !== undefined)) violations.push('operator retry: no order was retried');
  violations.push(...(await checkVisibility(stack.client, orders)));
  if (!stack.wrongCert.refused) {
    violations.push(`mTLS: a client certificate from another CA was not refused: exit ${stack.wrongCert.exitCode}`);
  }
  return violations;
}

/**
 * The Java and Go checkout templates' own test suites, once, against this cluster: they connect through the standard
 * environment configuration with the cluster's client certificate (mTLS) and drive orders on the product workers.
 * Each failed test is a violation, and so is a suite whose toolchain is missing.
 */
async function runTemplates(stack: Stack): Promise<string[]> {
  stack.peer.faults.clear();
  const problems: string[] = [];
  for (const name of ['java', 'go'] as const) {
    const run = await runTemplateTests(name, { ...stack.cluster.env, TEMPORAL_TASK_QUEUE: stack.taskQueue });
    log(`template ${describeTemplateRun(run)} against the mTLS cluster`);
    if (run.exitCode !== 0 || run.failed > 0 || run.passed === 0 || run.skipped > 0) {
      problems.push(
        `template ${name}: exit ${run.exitCode}, ${run.failed} failed ${run.failures.join(', ')}, ${run.skipped} skipped`,
      );
      console.log(run.output.slice(-4000));
    }
  }
  return problems;
}

function report(stack: Stack, orders: ClusterOrder[], kills: KillRecord[], violations: string[], ms: number): void {
  const table = new Map<string, number>();
  for (const o of orders) {
    const key = `${o.plan}${o.retriedAt !== undefined ? ' + operator retry' : ''} → ${o.phase ?? 'unsettled'}`;
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  console.log('\n| plan → outcome | orders |\n|---|---|');
  for (const [k, n] of [...table].sort()) console.log(`| ${k} | ${n} |`);
  console.log('\n| service killed | restarted after | answering again after |\n|---|---|---|');
  for (const k of kills) console.log(`| ${k.service} | ${secs(k.downMs)} | ${secs(k.recoveredMs)} |`);
  const faults = [...stack.peer.faults.injected].reduce((sum, [, n]) => sum + n, 0);
  console.log(
    `\ncluster start-up ${secs(stack.cluster.startupMs)}; search attributes registered by ${stack.registeredBy}; ` +
      `WeChat Pay faults injected ${faults}; whole run ${secs(ms)}`,
  );
  console.log(`foreign client certificate: ${stack.wrongCert.refused ? 'refused' : 'NOT refused'}; the worker said:`);
  console.log(`  ${stack.wrongCert.message.split('\n').join('\n  ')}`);
  for (const v of violations.slice(0, 30)) console.log(`VIOLATION ${v}`);
}

async function tearDown(stack: Stack): Promise<void> {
  await stack.client.connection.close();
  await Promise.all(stack.workers.map((w) => stopProcess(w, 5_000)));
  await stack.peer.close();
  await stack.orderService.close();
  await stack.cluster.stop();
}

main().catch((err: unknown) => {
  console.error(err);
  console.log(
    `cluster: ${ORDERS + 1} orders, 0 service kills, 1 invariant violations (the run failed: ${(err as Error).message.split('\n')[0]})`,
  );
  process.exit(1);
});
