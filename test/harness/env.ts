/** Helpers the suites use to reach the run's dev server and start workers on unique task queues. */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../tools/devstack/dev-server';
import { wechatpayTaskQueue } from '../../workflows/contract';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '@temporalio/common';
import pino from 'pino';
import { createJsonLogger } from '../../worker/logger';
import { untracedWorkerOptions } from '../../worker/tracing';

let runtimeInstalled = false;

/** Where worker logs of this test run go (the secret-hygiene test reads them). */
export function workerLogFile(): string {
  return path.join(process.env.TEST_WORK_DIR ?? '.', 'worker.log');
}

/**
 * The worker's own JSON logger (as `combine-papay-worker` writes to standard output), appending to the run's worker log
 * instead of the test output: the secret-hygiene suite searches the format production writes.
 */
export function fileLogger(): Logger {
  return createJsonLogger('INFO', pino.destination({ dest: workerLogFile(), append: true, sync: true }));
}

let metricsPort: number | undefined;

/** The Prometheus endpoint of this test process's runtime (after {@link quietRuntime}). */
export function metricsUrl(): string {
  if (!metricsPort) throw new Error('quietRuntime() has not installed the runtime yet');
  return `http://127.0.0.1:${metricsPort}/metrics`;
}

/** Sends worker and workflow logs to a file instead of the test output, and exports metrics to Prometheus. */
export async function quietRuntime(): Promise<void> {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  metricsPort = await freePort();
  try {
    Runtime.install({
      logger: fileLogger(),
      telemetryOptions: { metrics: { prometheus: { bindAddress: `127.0.0.1:${metricsPort}` } } },
    });
  } catch {
    // Already installed in this process by an earlier suite.
  }
}

/** The dev server's coordinates, set by the global setup. */
export function serverAddress(): { address: string; namespace: string; uiUrl: string } {
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the suites through jest (global setup)');
  return {
    address,
    namespace: process.env.TEST_TEMPORAL_NAMESPACE ?? 'default',
    uiUrl: process.env.TEST_TEMPORAL_UI_URL ?? '',
  };
}

/** A unique name with a readable prefix, for task queues and workflow ids. */
export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** A client connected to the run's dev server; close its connection in afterAll. */
export async function connectClient(): Promise<Client> {
  const { address, namespace } = serverAddress();
  const connection = await Connection.connect({ address });
  return new Client({ connection, namespace });
}

/** Another server than the run's dev server (the time-skipping one): its connection stays open after the worker. */
export interface OtherServer {
  connection: NativeConnection;
  namespace: string;
}

/** A worker on the run's dev server (or on `other`) using the prebuilt test bundle. */
export async function createTestWorker(
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'>,
  other?: OtherServer,
): Promise<{ worker: Worker; connection: NativeConnection; namespace: string }> {
  await quietRuntime();
  const codePath = process.env.TEST_WORKFLOW_BUNDLE;
  if (!codePath) throw new Error('TEST_WORKFLOW_BUNDLE is not set: run the suites through jest (global setup)');
  const namespace = other?.namespace ?? serverAddress().namespace;
  const connection = other?.connection ?? (await NativeConnection.connect({ address: serverAddress().address }));
  // The bundle has the OpenTelemetry workflow interceptors (as the product's): their span sink drops the spans.
  const worker = await Worker.create({
    connection,
    namespace,
    workflowBundle: { codePath },
    ...untracedWorkerOptions(),
    ...options,
  });
  return { worker, connection, namespace };
}

/** A worker running on the run's dev server until `stop()`. */
export interface RunningTestWorker {
  stop(): Promise<void>;
}

/**
 * Creates a worker with the prebuilt test bundle and runs it. When `activities` include the WeChat Pay calls (query,
 * reverse), a second worker serves them on the order's WeChat Pay task queue (`<taskQueue>-wechatpay`), as the
 * product's worker does.
 */
export async function runTestWorker(
  options: Omit<WorkerOptions, 'connection' | 'namespace' | 'workflowBundle' | 'workflowsPath'>,
  other?: OtherServer,
): Promise<RunningTestWorker> {
  const { worker, connection, namespace } = await createTestWorker(options, other);
  const activities = (options.activities ?? {}) as Record<string, unknown>;
  const workers = [worker];
  if ('queryCombineOrder' in activities || 'reverseCombineOrder' in activities) {
    workers.push(
      await Worker.create({
        connection,
        namespace,
        taskQueue: wechatpayTaskQueue(options.taskQueue),
        activities: options.activities,
      }),
    );
  }
  const running = workers.map((w) => w.run());
  return {
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
      if (!other) await connection.close();
    },
  };
}
