/**
 * `npm run cluster`: a local production-shaped Temporal (PostgreSQL persistence and visibility, frontend, history,
 * matching and worker as separate processes, mTLS), see `tools/devstack/cluster/local-cluster.ts`. Prints the address
 * and the `TEMPORAL_*` variables a worker needs, then runs until Ctrl-C, which stops everything and removes its data.
 *
 *   npm run cluster                 start; Ctrl-C stops
 *   npm run cluster -- --keep       keep the work folder (data, certificates, logs) after stopping
 *   npm run cluster -- --log-level info
 */
import { startCluster } from '../devstack/cluster/local-cluster';
import { cliTlsArgs } from '../devstack/cluster/connect';
import { ensureTemporalCli } from '../devstack/temporal-cli';

function argValue(flag: string): string | undefined {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const log = (line: string): void => console.error(`[cluster] ${line}`);
  const keep = process.argv.includes('--keep');
  // Ctrl-C while starting: exit at once (startCluster's exit hook takes the processes along).
  const early = (): never => process.exit(130);
  process.once('SIGINT', early);
  process.once('SIGTERM', early);
  const cluster = await startCluster({ log, keep, logLevel: argValue('--log-level') ?? 'warn' });
  process.removeListener('SIGINT', early);
  process.removeListener('SIGTERM', early);
  const cli = await ensureTemporalCli();
  const exports = Object.entries(cluster.env)
    .map(([k, v]) => `export ${k}=${v}`)
    .join('\n');
  const pids = Object.values(cluster.services)
    .map((s) => `${s.name} ${s.child?.pid} (:${s.ports.grpc})`)
    .join(', ');
  console.log(`
Temporal cluster ready in ${(cluster.startupMs / 1000).toFixed(1)} s: ${cluster.address} (mTLS), namespace ${cluster.namespace}
  services: ${pids}
  PostgreSQL 127.0.0.1:${cluster.postgres.port} (databases temporal, temporal_visibility; log ${cluster.postgres.logFile})
  work folder: ${cluster.dir}${keep ? ' (kept after stop)' : ' (removed on stop)'}

Point a worker (or any envconfig client) at it:
${exports}
  npm run worker        # also needs the WECHATPAY_* and COMPENSATION_URL variables (docs/configuration.md)

The CLI:
  ${cli} workflow list ${cliTlsArgs(cluster.env).join(' ')}

Ctrl-C stops the services and PostgreSQL.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  log('stopping the services and PostgreSQL');
  await cluster.stop();
  log('stopped');
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(`[cluster] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
