/** Builds the product's worker from a {@link WorkerConfig}: used by `npm run worker`, `npm start` and the tests. */
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { Client } from '@temporalio/client';
import { createActivities } from '../activities';
import { createBillSource } from '../activities/bill-source';
import { createTradeBillActivities } from '../activities/trade-bill';
import { ensureTradeBillSchedule } from '../client/trade-bill';
import { createOrderIndex } from './order-index';
import { createWechatpayClient } from '../wechatpay/client';
import { createRunLookup } from './run-lookup';
import { wechatpayTaskQueue } from '../workflows/contract';
import type { WorkerConfig } from './config';
import type { Metrics } from '../activities/metrics';
import { ensureSearchAttributes } from './search-attributes';
import { startTracing, TRACING_WORKFLOW_MODULES, untracedWorkerOptions, type Tracing } from './tracing';

/** Where `npm run build` writes the prebuilt workflow bundle (tools/scripts/bundle-workflows.ts): dist/. */
const PREBUILT_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

/**
 * Workflow code for the worker: `WORKFLOW_BUNDLE_PATH`, else the build's prebuilt bundle when present (production
 * build), else bundle the sources at start.
 */
function workflowSource(bundlePath?: string): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (bundlePath) return { workflowBundle: { codePath: bundlePath } };
  if (fs.existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: require.resolve('../workflows') };
}

/**
 * The tracing part of a worker's options: with tracing on, the activity interceptors and the workflow span sink;
 * off, the sink that drops the workflow's spans. A bundle made at start includes the workflow interceptors (a prebuilt
 * one has them already: tools/scripts/bundle-workflows.ts).
 */
function tracingOptions(
  tracing: Tracing | undefined,
  source: Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'>,
): Pick<WorkerOptions, 'interceptors' | 'sinks'> {
  const options: Pick<WorkerOptions, 'interceptors' | 'sinks'> = tracing
    ? tracing.workerOptions()
    : untracedWorkerOptions();
  if (!source.workflowsPath) return options;
  return { ...options, interceptors: { ...options.interceptors, workflowModules: [...TRACING_WORKFLOW_MODULES] } };
}

/**
 * The created workers and the connection they share. `worker` polls the task queue (workflows, compensation,
 * payment confirmation — and the WeChat Pay calls of orders that began them before the dedicated queue existed);
 * `wechatpayWorker` polls `<task queue>-wechatpay`, the WeChat Pay calls only, rate-limited for all workers together.
 * Run and stop them together with {@link ProductWorker.run} and {@link ProductWorker.shutdown}.
 */
export interface ProductWorker {
  worker: Worker;
  wechatpayWorker: Worker;
  connection: NativeConnection;
  registeredSearchAttributes: string[];
  /**
   * What became of the daily trade-bill Schedule at start (`TRADE_BILL_SCHEDULE`): created, updated, off, or why it
   * could not be kept (e.g. no permission: then an operator runs `combine-papay-order schedule ensure`).
   */
  tradeBillSchedule: string;
  /** Runs both workers until both have stopped (a failure of either stops the other). */
  run(): Promise<void>;
  /** Starts a graceful shutdown of both (idempotent). */
  shutdown(): void;
  /** Whether both workers are polling (the readiness probe). */
  polling(): { ready: boolean; detail: Record<string, string> };
}

/**
 * Options of the WeChat Pay call worker: the server dispatches at most `WECHATPAY_MAX_RPS` of its tasks per second
 * across every worker of the queue (`maxTaskQueueActivitiesPerSecond`), retries included; a task never comes eagerly
 * (the queue is not the workflow's), so none bypasses the limit.
 */
export function wechatpayWorkerOptions(
  config: WorkerConfig,
): Pick<WorkerOptions, 'taskQueue' | 'maxTaskQueueActivitiesPerSecond' | 'maxConcurrentActivityTaskExecutions'> {
  return {
    taskQueue: wechatpayTaskQueue(config.taskQueue),
    maxTaskQueueActivitiesPerSecond: config.wechatpayMaxRps,
    maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
  };
}

/**
 * What both workers share: the shutdown grace (`WORKER_SHUTDOWN_GRACE`) and, when `WORKER_DEPLOYMENT_NAME` and
 * `WORKER_BUILD_ID` are set, Worker Versioning with every order pinned to the version that started it (a new build
 * never replays an old order's history; see the README's "Upgrades").
 */
export function processOptions(
  config: WorkerConfig,
): Pick<WorkerOptions, 'shutdownGraceTime' | 'workerDeploymentOptions'> {
  return {
    shutdownGraceTime: config.shutdownGraceMs,
    ...(config.deployment
      ? {
          workerDeploymentOptions: {
            version: { deploymentName: config.deployment.name, buildId: config.deployment.buildId },
            useWorkerVersioning: true,
            defaultVersioningBehavior: 'PINNED',
          },
        }
      : {}),
  };
}

/** Connects, ensures the search attributes and creates the workers (not yet running). */
export async function createProductWorker(
  config: WorkerConfig,
  options: { metrics?: Metrics; overrides?: Partial<WorkerOptions> } = {},
): Promise<ProductWorker> {
  const connection = await NativeConnection.connect(config.temporal.connectionOptions);
  const created: Worker[] = [];
  const tracing = config.tracing ? startTracing(config.tracing) : undefined;
  try {
    const registeredSearchAttributes = await ensureSearchAttributes(connection, config.temporal.namespace);
    const metrics = options.metrics ? { metrics: options.metrics } : {};
    // One WeChat Pay client for every call (query, reverse, trade bill).
    const wechatpayClient = createWechatpayClient(config.wechatpay);
    const activities = createActivities({
      wechatpay: {
        client: wechatpayClient,
        authRetryDelayMs: config.authRetryDelayMs,
        ...metrics,
      },
      compensation: { ...config.compensation, ...metrics },
      confirmation: { ...config.confirmation, ...metrics },
      payWindowFloorMs: config.payWindowFloorMs,
      runs: createRunLookup(connection, config.temporal.namespace),
    });
    const tradeBillActivities = createTradeBillActivities({
      bills: createBillSource(wechatpayClient, options.metrics),
      orders: createOrderIndex(connection, config.temporal.namespace),
      subMchids: config.tradeBill.subMchids,
      notReadyRetryMs: config.tradeBill.notReadyRetryMs,
      ...metrics,
    });
    const tradeBillSchedule = await keepTradeBillSchedule(connection, config);
    const source =
      options.overrides?.workflowBundle || options.overrides?.workflowsPath
        ? { ...(options.overrides.workflowsPath ? { workflowsPath: options.overrides.workflowsPath } : {}) }
        : workflowSource(config.workflowBundlePath);
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      activities: { ...activities, ...tradeBillActivities },
      ...source,
      ...tracingOptions(tracing, source),
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      maxCachedWorkflows: config.maxCachedWorkflows,
      ...processOptions(config),
      ...options.overrides,
    });
    created.push(worker);
    const { queryCombineOrder, reverseCombineOrder } = activities;
    const wechatpayWorker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      activities: { queryCombineOrder, reverseCombineOrder },
      ...(tracing ? { interceptors: tracing.workerOptions().interceptors } : {}),
      ...wechatpayWorkerOptions(config),
      ...processOptions(config),
    });
    created.push(wechatpayWorker);
    return {
      worker,
      wechatpayWorker,
      connection,
      registeredSearchAttributes,
      tradeBillSchedule,
      ...runTogether([worker, wechatpayWorker], tracing),
    };
  } catch (err) {
    // A created worker holds the connection until it has run: start and stop it at once, then close.
    await Promise.all(created.map((w) => w.runUntil(Promise.resolve()).catch(() => undefined)));
    await connection.close();
    await tracing?.shutdown();
    throw err;
  }
}

/**
 * Creates or updates the daily trade-bill Schedule when `TRADE_BILL_SCHEDULE` is on; a refusal (e.g. a namespace
 * role without schedule permissions) does not stop the worker: it is reported for the start log.
 */
async function keepTradeBillSchedule(connection: NativeConnection, config: WorkerConfig): Promise<string> {
  if (!config.tradeBill.ensureSchedule) return 'off (TRADE_BILL_SCHEDULE=off)';
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    return await ensureTradeBillSchedule(client, { taskQueue: config.taskQueue });
  } catch (err) {
    return `not kept (${err instanceof Error ? err.message : String(err)}): run combine-papay-order schedule ensure`;
  }
}

/**
 * Runs workers side by side: when one stops (shut down, or failed) the others are shut down too; then the spans still
 * pending are sent.
 */
function runTogether(workers: Worker[], tracing?: Tracing): Pick<ProductWorker, 'run' | 'shutdown' | 'polling'> {
  const shutdown = (): void => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  return {
    shutdown,
    polling() {
      const detail = Object.fromEntries(workers.map((w) => [w.options.taskQueue, w.getState()]));
      return { ready: workers.every((w) => w.getState() === 'RUNNING'), detail };
    },
    async run() {
      const results = await Promise.allSettled(workers.map((w) => w.run().finally(shutdown)));
      await tracing?.shutdown();
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failure) throw failure.reason;
    },
  };
}
