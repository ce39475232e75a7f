/**
 * Jest global setup: one real Temporal dev server (built from the Go module proxy when missing) and one workflow
 * bundle for the whole run. Their coordinates reach the tests through environment variables.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { freePort, startDevServer } from '../../tools/devstack/dev-server';
import { setCheckoutEnv } from './checkout-env';
import { TRACING_WORKFLOW_MODULES } from '../../worker/tracing';

export default async function globalSetup(): Promise<void> {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-test-'));
  const started = Date.now();
  const metricsPort = await freePort();
  const [server, bundle] = await Promise.all([
    startDevServer({ headless: false, metricsPort, logFile: path.join(workDir, 'temporal-dev-server.log') }),
    bundleWorkflowCode({
      workflowsPath: require.resolve('./test-workflows'),
      // As the build's bundle: the SDK's OpenTelemetry workflow interceptors (worker/tracing.ts).
      workflowInterceptorModules: [...TRACING_WORKFLOW_MODULES],
      logger: quietLogger,
    }),
  ]);
  const bundlePath = path.join(workDir, 'workflow-bundle.js');
  fs.writeFileSync(bundlePath, bundle.code);
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
  process.env.TEST_TEMPORAL_NAMESPACE = server.namespace;
  process.env.TEST_TEMPORAL_UI_URL = server.uiUrl ?? '';
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
  process.env.TEST_WORK_DIR = workDir;
  process.env.TEST_TEMPORAL_METRICS_URL = `http://127.0.0.1:${metricsPort}/metrics`;
  setCheckoutEnv();
  (globalThis as Record<string, unknown>).__devServer = server;
  console.log(
    `\n[harness] Temporal dev server ${server.address}, Web UI ${server.uiUrl} (ready in ${Date.now() - started} ms)`,
  );
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
};
