import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { workerArgs } from '../../devstack/worker-args';
import { ConfigErrors, describeConfig, loadWorkerConfig } from '../../worker/config';
import {
  BASE_HEAP_MB,
  CACHED_WORKFLOW_HEAP_MB,
  DEFAULT_MAX_CACHED_WORKFLOWS,
  WORKER_NODE_FLAGS,
  cacheHeapProblem,
} from '../../worker/memory';
import { loadOrCreateIdentity, workerEnvFor } from '../../simulator/keys';

const identity = loadOrCreateIdentity(path.join(process.env.TEST_WORK_DIR ?? os.tmpdir(), 'simulator-keys'));
const env = (extra: Record<string, string> = {}): Record<string, string> => ({
  ...workerEnvFor(identity, {
    wechatpay: 'https://api.mch.weixin.qq.com/',
    compensation: 'http://127.0.0.1:8080/compensations',
  }),
  COMPENSATION_HMAC_SECRET: 'unit-test-hmac-secret-0123456789',
  ...extra,
});

/** The V8 heap limit (MB) of a node process started with `flags`. */
function heapOf(flags: readonly string[]): number {
  const out = execFileSync(
    process.execPath,
    [...flags, '-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'],
    { encoding: 'utf8' },
  );
  return Math.floor(Number(out) / 2 ** 20);
}

describe('worker memory settings', () => {
  const launchedHeap = heapOf(WORKER_NODE_FLAGS);

  it('launches workers with a bounded heap that the default cache fits in', () => {
    expect(launchedHeap).toBeGreaterThanOrEqual(256);
    expect(launchedHeap).toBeLessThan(heapOf([]));
    expect(cacheHeapProblem(DEFAULT_MAX_CACHED_WORKFLOWS, launchedHeap)).toBeUndefined();
    const config = loadWorkerConfig(env(), launchedHeap);
    expect(config.maxCachedWorkflows).toBe(DEFAULT_MAX_CACHED_WORKFLOWS);
    expect(describeConfig(config)).toMatchObject({ maxCachedWorkflows: DEFAULT_MAX_CACHED_WORKFLOWS });
  });

  it('npm run worker, npm start, the chaos run and the cluster test use the same flags', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.worker).toContain(`exec node ${WORKER_NODE_FLAGS.join(' ')} dist/worker/main.js`);
    expect(workerArgs('/x/scripts/start.js').slice(0, WORKER_NODE_FLAGS.length)).toEqual(WORKER_NODE_FLAGS);
    expect(workerArgs('/x/scripts/chaos.js').at(-1)).toMatch(/dist[/\\]worker[/\\]main\.js$/);
    expect(workerArgs('/x/scripts/chaos.ts')).toContain('ts-node/register/transpile-only');
  });

  it('refuses a cache the heap cannot hold, naming the variable, the need and what fits', () => {
    const fits = Math.floor((launchedHeap - BASE_HEAP_MB) / CACHED_WORKFLOW_HEAP_MB);
    expect(loadWorkerConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: String(fits) }), launchedHeap).maxCachedWorkflows).toBe(
      fits,
    );
    let message = '';
    try {
      loadWorkerConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: String(fits + 1) }), launchedHeap);
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigErrors);
      message = (err as Error).message;
    }
    expect(message).toContain(`WORKER_MAX_CACHED_WORKFLOWS asks for ${fits + 1} cached workflows`);
    expect(message).toContain(`allows ${launchedHeap} MB: set it to at most ${fits}`);
    // A larger heap (--max-old-space-size) holds it; 0 (no cache) always fits.
    expect(loadWorkerConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: String(fits + 1) }), launchedHeap * 2)).toBeDefined();
    expect(loadWorkerConfig(env({ WORKER_MAX_CACHED_WORKFLOWS: '0' }), BASE_HEAP_MB).maxCachedWorkflows).toBe(0);
  });
});
