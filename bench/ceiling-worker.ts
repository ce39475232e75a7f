/**
 * The ceiling's worker process: the product's worker, built by the same `createProductWorker` from the same
 * environment (so connection, concurrency, cache and shutdown settings are identical), running `ceilingWorkflow`
 * with no-op activities instead of the order lifecycle.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadWorkerConfig } from '../worker/config';
import { createProductWorker } from '../worker/worker';

async function main(): Promise<void> {
  const config = loadWorkerConfig(process.env);
  Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM'] });
  const { worker, connection } = await createProductWorker(config, {
    overrides: {
      workflowsPath: require.resolve('./ceiling-workflow'),
      activities: { noop: async (step: string) => step },
    },
  });
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
