/** Builds the product's worker from a {@link WorkerConfig}: used by `npm run worker`, `npm start` and the tests. */
import fs from 'node:fs';
import path from 'node:path';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createWechatpayClient } from '../wechatpay/client';
import type { WorkerConfig } from './config';
import type { Metrics } from './metrics';
import { ensureSearchAttributes } from './search-attributes';

/** Where `npm run build` writes the prebuilt workflow bundle. */
export const PREBUILT_BUNDLE = path.resolve(__dirname, '..', 'workflow-bundle.js');

/**
 * Workflow code for the worker: `WORKFLOW_BUNDLE_PATH`, else the build's prebuilt bundle when present (production
 * build), else bundle the sources at start.
 */
export function workflowSource(bundlePath?: string): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (bundlePath) return { workflowBundle: { codePath: bundlePath } };
  if (fs.existsSync(PREBUILT_BUNDLE)) return { workflowBundle: { codePath: PREBUILT_BUNDLE } };
  return { workflowsPath: require.resolve('../workflows') };
}

/** A created worker and the connection it owns. */
export interface ProductWorker {
  worker: Worker;
  connection: NativeConnection;
  registeredSearchAttributes: string[];
}

/** Connects, ensures the search attributes and creates the worker (not yet running). */
export async function createProductWorker(
  config: WorkerConfig,
  options: { metrics?: Metrics; overrides?: Partial<WorkerOptions> } = {},
): Promise<ProductWorker> {
  const connection = await NativeConnection.connect(config.temporal.connectionOptions);
  try {
    const registeredSearchAttributes = await ensureSearchAttributes(connection, config.temporal.namespace);
    const metrics = options.metrics ? { metrics: options.metrics } : {};
    const activities = createActivities({
      // One WeChat Pay client for both calls (query and reverse).
      reverse: {
        client: createWechatpayClient(config.wechatpay),
        authRetryDelayMs: config.authRetryDelayMs,
        ...metrics,
      },
      compensation: { ...config.compensation, ...metrics },
      confirmation: { ...config.confirmation, ...metrics },
    });
    const worker = await Worker.create({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.taskQueue,
      activities,
      ...(options.overrides?.workflowBundle || options.overrides?.workflowsPath
        ? {}
        : workflowSource(config.workflowBundlePath)),
      maxConcurrentActivityTaskExecutions: config.maxConcurrentActivities,
      ...(config.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
      shutdownGraceTime: '20s',
      ...options.overrides,
    });
    return { worker, connection, registeredSearchAttributes };
  } catch (err) {
    await connection.close();
    throw err;
  }
}
