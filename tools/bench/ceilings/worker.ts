/**
 * The ceilings' worker process: the product's worker, built by the same `createProductWorker` from the same
 * environment (so connection, concurrency, cache and shutdown settings are identical), running the ceiling workflows
 * instead of the order lifecycle. `BENCH_CEILING_ACTIVITIES=real`: with the product's own activities and its WeChat
 * Pay call worker (`realCeilingWorkflow`); otherwise with no-op activities — plus a worker on `<task queue>-calls`
 * with the options of the product's WeChat Pay call worker (same rate limit, never eager), serving the stand-ins of
 * the WeChat Pay calls (`ceilingWorkflow`, `ceilingPaidWorkflow`).
 */
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { loadWorkerConfig } from '../../../worker/config';
import { createProductWorker, wechatpayWorkerOptions } from '../../../worker/worker';
import { CALLS_QUEUE_SUFFIX } from './workflows';

const activities = { noop: async (step: string) => step };

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  if (process.env.BENCH_CEILING_ACTIVITIES === 'real') {
    const real = await createProductWorker(config, {
      overrides: { workflowsPath: require.resolve('./workflows') },
    });
    try {
      return await real.run();
    } finally {
      await real.connection.close();
    }
  }
  const product = await createProductWorker(config, {
    overrides: { workflowsPath: require.resolve('./workflows'), activities },
  });
  const calls = await Worker.create({
    connection: product.connection,
    namespace: config.temporal.namespace,
    activities,
    ...wechatpayWorkerOptions(config),
    taskQueue: `${config.taskQueue}${CALLS_QUEUE_SUFFIX}`,
    shutdownGraceTime: '20s',
  });
  try {
    await Promise.all([
      product.run().finally(() => calls.getState() === 'RUNNING' && calls.shutdown()),
      calls.run().finally(() => product.shutdown()),
    ]);
  } finally {
    await product.connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
