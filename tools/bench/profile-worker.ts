/**
 * `node --import tsx tools/bench/profile-worker.ts`: a V8 CPU profile of the product worker over batches of reversed
 * orders (the path whose CPU per order the bench compares with its ceiling). Writes `.cpuprofile` files to PROFILE_DIR
 * and prints the functions with the most self time. Sizes: PROFILE_ORDERS (300), PROFILE_BATCHES (2).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopProcess } from '../devstack/dev-server';
import { startStack } from './stack';
import { reversedBatch } from './phases/throughput';
import { log } from './util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** Self time by function (file:line), largest first. */
export function topSelfTime(profileFile: string, limit: number): { fn: string; pct: number }[] {
  const profile = JSON.parse(fs.readFileSync(profileFile, 'utf8')) as { nodes: ProfileNode[] };
  const hits = new Map<string, number>();
  let total = 0;
  for (const n of profile.nodes) {
    const h = n.hitCount ?? 0;
    total += h;
    const url = n.callFrame.url.replace(/^.*node_modules\//, '~/').replace(/^.*\/dist\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url}:${n.callFrame.lineNumber + 1}`;
    hits.set(key, (hits.get(key) ?? 0) + h);
  }
  return [...hits.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, h]) => ({ fn, pct: Number(((100 * h) / total).toFixed(1)) }));
}

async function main(): Promise<void> {
  const dir = path.resolve(process.env.PROFILE_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'worker-profile-')));
  fs.mkdirSync(dir, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-profile-'));
  const stack = await startStack(work, { eager: false });
  try {
    const worker = await stack.worker('dist/worker/main.js', 'profile-lifecycle', { WECHATPAY_MAX_RPS: '10000' }, [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    const w = { queue: 'profile-lifecycle', pid: worker.pid!, serverPids: stack.engine.pids(), completed: 0 };
    for (let b = 0; b < Number(process.env.PROFILE_BATCHES ?? 2); b += 1) {
      const batch = await reversedBatch(stack, w, `P${b}`, Number(process.env.PROFILE_ORDERS ?? 300));
      log(`batch ${b}: ${batch.perSec.toFixed(1)}/s, ${batch.cpuMsPerOrder.toFixed(1)} ms CPU per order`);
    }
    await stopProcess(worker, 30_000);
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
      log(`profile ${path.join(dir, f)}`);
      for (const row of topSelfTime(path.join(dir, f), 40)) console.log(`${String(row.pct).padStart(5)}%  ${row.fn}`);
    }
  } finally {
    await stack.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
