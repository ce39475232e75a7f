/** How the dev tools launch a product worker process: the same Node flags as `npm run worker`. */
import path from 'node:path';
import { WORKER_NODE_FLAGS } from '../worker/memory';
import { projectRoot } from './data-dir';

/**
 * Node arguments that run the worker: compiled from dist/ (with its prebuilt bundle) when `caller` is a compiled
 * file, from the sources through ts-node when it is a `.ts` file (a script run with ts-node).
 */
export function workerArgs(caller: string): string[] {
  const entry = caller.endsWith('.ts')
    ? ['-r', 'ts-node/register/transpile-only', path.join(projectRoot(), 'worker', 'main.ts')]
    : [path.join(projectRoot(), 'dist', 'worker', 'main.js')];
  return [...WORKER_NODE_FLAGS, ...entry];
}
