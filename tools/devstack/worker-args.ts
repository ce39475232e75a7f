/** How the dev tools launch a product worker process: the same Node flags and entry as `npm run worker`. */
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../../worker/memory';
import { projectRoot } from './data-dir';

/**
 * Node arguments that run the product worker as it ships: the built `dist/worker/main.js` (with its prebuilt workflow
 * bundle), never the sources, whatever runs the tool (tools run from TypeScript with tsx). The npm scripts that start
 * a tool run `build-if-stale.js` first, so dist/ is fresh. (Only the test harness starts a worker from its sources:
 * test/harness/worker-process.ts.)
 */
export function workerArgs(): string[] {
  return [...WORKER_NODE_FLAGS, path.join(projectRoot(), 'dist', 'worker', 'main.js')];
}
