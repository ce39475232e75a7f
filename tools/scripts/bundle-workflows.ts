/**
 * Build step (run by build-if-stale.js after tsc, with tsx): bundles the compiled workflow code (`dist/workflows/`)
 * once into `dist/workflow-bundle.js`, the prebuilt bundle production workers start from (`PREBUILT_BUNDLE` of
 * dist/worker/worker.js). Imports nothing of the repository, so that the image's build needs no other tool.
 */
import fs from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';

/** The repository's build output (this file is tools/scripts/bundle-workflows.ts, two folders below the root). */
const DIST = path.resolve(__dirname, '..', '..', 'dist');
const PREBUILT_BUNDLE = path.join(DIST, 'workflow-bundle.js');

async function main(): Promise<void> {
  const started = Date.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(path.join(DIST, 'workflows')),
    // The SDK's OpenTelemetry workflow interceptors (worker/tracing.ts's TRACING_WORKFLOW_MODULES): always in the
    // bundle; with tracing off the worker gives their span sink nothing to do.
    workflowInterceptorModules: [require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors')],
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  fs.writeFileSync(PREBUILT_BUNDLE, code);
  console.error(
    `workflow bundle: ${PREBUILT_BUNDLE} (${Math.round(code.length / 1024)} KiB, ${Date.now() - started} ms)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
