/**
 * The Temporal the benchmark runs on: the dev server (one process, SQLite in WAL without fsync, one history shard),
 * or the production-shaped local cluster of `npm run test:cluster` (PostgreSQL, the four services as processes, mTLS)
 * tuned for one node (`--engine cluster`). Either gives a client, the variables a worker connects with, and the
 * processes whose CPU and memory count as the server's.
 */
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startCluster } from '../devstack/cluster/local-cluster';
import { connectWithEnv } from '../devstack/cluster/connect';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection } from '@temporalio/worker';
import { ensureSearchAttributes } from '../../worker/search-attributes';
import { startDevServer, waitFor } from '../devstack/dev-server';
import { log } from './util';

/** The engines the benchmark runs on. */
export const ENGINES = ['dev-server', 'cluster'] as const;
/** One of {@link ENGINES}. */
export type EngineName = (typeof ENGINES)[number];

/**
 * The cluster's tuning for one node with two cores: 8 history shards (the dev server has 1: every order's writes go
 * through it), and the task-queue partitions (`BENCH_CLUSTER_PARTITIONS`, 4 — the server's default; read and write
 * alike); `BENCH_CLUSTER_SHARDS` overrides the shards.
 */
export function clusterTuning(env: NodeJS.ProcessEnv = process.env): { shards: number; partitions: number } {
  return {
    shards: Number(env.BENCH_CLUSTER_SHARDS ?? 8),
    partitions: Number(env.BENCH_CLUSTER_PARTITIONS ?? 4),
  };
}

/** A running engine. */
export interface Engine {
  readonly name: EngineName;
  /** What it is, for the report (persistence, shards, partitions). */
  readonly describe: string;
  /** The frontend's gRPC address. */
  readonly address: string;
  readonly namespace: string;
  readonly client: Client;
  /** The `TEMPORAL_*` variables a worker connects with (address, namespace, and the cluster's mTLS files). */
  readonly env: Record<string, string>;
  /** The server's processes (each with its children: PostgreSQL's backends), whose CPU and memory a batch counts. */
  pids(): number[];
  stop(): Promise<void>;
}

/** Options: eager activity dispatch on the dev server (`BENCH_EAGER=1`). */
export interface EngineOptions {
  eager: boolean;
}

/**
 * Dynamic configuration for either engine from `BENCH_DYNAMIC_CONFIG` (a JSON object of key → value), e.g.
 * `{"matching.useNewMatcher":true}` (the priority-aware matcher of server 1.29, off by default there).
 */
function extraDynamicConfig(): Record<string, string | number | boolean> {
  const text = process.env.BENCH_DYNAMIC_CONFIG;
  if (!text) return {};
  const parsed: unknown = JSON.parse(text);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('BENCH_DYNAMIC_CONFIG must be a JSON object of dynamic-config key → value');
  }
  return parsed as Record<string, string | number | boolean>;
}

/** Starts the named engine. */
export async function startEngine(name: EngineName, work: string, options: EngineOptions): Promise<Engine> {
  return name === 'cluster' ? startClusterEngine(options) : startDevServerEngine(work, options);
}

/** The extra dynamic configuration, for the engine's description. */
const dynamicNote = (): string => {
  const extra = extraDynamicConfig();
  return Object.keys(extra).length ? `; ${JSON.stringify(extra)}` : '';
};

async function startDevServerEngine(work: string, options: EngineOptions): Promise<Engine> {
  // WAL without fsync: the default rollback journal caps the dev server near 90 starts/s on this machine; the
  // ceilings are measured under the same setting.
  const server = await startDevServer({
    headless: true,
    dbFile: path.join(work, 'temporal.sqlite'),
    logFile: path.join(work, 'server.log'),
    sqlitePragmas: { journal_mode: 'wal', synchronous: 'off' },
    dynamicConfig: {
      ...(options.eager ? { 'system.enableActivityEagerExecution': true } : {}),
      ...extraDynamicConfig(),
    },
  });
  const connection = await Connection.connect({ address: server.address }).catch(async (err: unknown) => {
    await server.stop();
    throw err;
  });
  return {
    name: 'dev-server',
    describe: `dev server (SQLite, WAL, no fsync; 1 history shard${dynamicNote()})`,
    address: server.address,
    namespace: server.namespace,
    client: new Client({ connection, namespace: server.namespace }),
    env: { TEMPORAL_ADDRESS: server.address, TEMPORAL_NAMESPACE: server.namespace },
    pids: () => [server.child.pid!],
    stop: async () => {
      await connection.close().catch(() => undefined);
      await server.stop();
    },
  };
}

async function startClusterEngine(options: EngineOptions): Promise<Engine> {
  if (options.eager) throw new Error('BENCH_EAGER applies to the dev server only');
  const { shards, partitions } = clusterTuning();
  const cluster = await startCluster({
    log: (line) => log(`cluster: ${line}`),
    tuning: {
      historyShards: shards,
      dynamicConfig: {
        'matching.numTaskqueueReadPartitions': partitions,
        'matching.numTaskqueueWritePartitions': partitions,
        ...extraDynamicConfig(),
      },
    },
  });
  const connection = await connectWithEnv(cluster.env).catch(async (err: unknown) => {
    await cluster.stop();
    throw err;
  });
  const client = new Client({ connection, namespace: cluster.namespace });
  await searchAttributesReady(cluster.env, client).catch(async (err: unknown) => {
    await connection.close();
    await cluster.stop();
    throw err;
  });
  return {
    name: 'cluster',
    describe:
      `cluster (PostgreSQL, frontend/history/matching/worker as processes, mTLS; ` +
      `${shards} history shards, ${partitions} task-queue partitions${dynamicNote()})`,
    address: cluster.address,
    namespace: cluster.namespace,
    client,
    env: cluster.env,
    pids: () => [
      ...Object.values(cluster.services).map((s) => s.child!.pid!),
      ...(cluster.postgres.pid ? [cluster.postgres.pid] : []),
    ],
    stop: async () => {
      await connection.close().catch(() => undefined);
      await cluster.stop();
    },
  };
}

/**
 * Registers the product's search attributes as its worker does at start, and waits until visibility queries take
 * them: SQL visibility maps them per namespace, and the frontend learns the mapping a few seconds later (a start that
 * comes sooner is refused). The dev server has them from its start.
 */
async function searchAttributesReady(env: Record<string, string>, client: Client): Promise<void> {
  const { connectionOptions } = loadClientConnectConfig({ overrideEnvVars: env });
  const native = await NativeConnection.connect(connectionOptions);
  try {
    await ensureSearchAttributes(native, env.TEMPORAL_NAMESPACE!);
  } finally {
    await native.close();
  }
  await waitFor(
    'visibility to take the search attributes',
    async () => {
      await client.workflow.count(`PaymentPhase = 'PAID'`);
      return true;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
}
