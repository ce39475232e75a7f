/**
 * A production-shaped Temporal on this machine, for `npm run cluster` and `npm run test:cluster`: PostgreSQL for
 * persistence and visibility (schemas set up by `temporal-sql-tool` from the server module's versioned
 * `schema/postgresql/v12` folders), and the frontend, history, matching and worker services as four separate
 * `temporal-server start --service=…` processes on loopback ports, with mTLS on the frontend and between services
 * (certificates made by `openssl` at start). The `default` namespace is registered with the project's CLI over mTLS.
 * Each service can be SIGKILLed and started again on the same ports.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeClusterCerts, type ClusterCerts } from './certs';
import { cliTlsArgs, clusterEnv, pollUntilReady, waitUntilServing } from './connect';
import {
  CLUSTER_SERVICES,
  CONFIG_ENV,
  writeServerConfig,
  type ClusterConfigInput,
  type ClusterServiceName,
  type ServicePorts,
} from './config';
import { startPostgres, type Postgres } from './postgres';
import { portInUse, stopProcess } from '../dev-server';
import { ensureTemporalCli } from '../temporal-cli';
import { ensureTemporalServer, type TemporalServerTools } from '../temporal-server';

const run = promisify(execFile);

/** One service process, which can be killed and started again. */
interface ClusterService {
  readonly name: ClusterServiceName;
  readonly ports: ServicePorts;
  /** The running process (undefined before the first start). */
  readonly child: ChildProcess | undefined;
  /** Its log file (all runs appended). */
  readonly logFile: string;
  /** Starts the process (again), on the same ports. */
  start(): void;
  /** SIGKILL: no shutdown, no hand-over; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/** A running local cluster. */
export interface LocalCluster {
  /** The frontend's gRPC address, `127.0.0.1:<port>`. */
  readonly address: string;
  readonly namespace: string;
  /** Work folder: certificates, configuration, PostgreSQL data, logs. */
  readonly dir: string;
  readonly certs: ClusterCerts;
  /** The `TEMPORAL_*` variables a worker or client needs to connect (envconfig). */
  readonly env: Record<string, string>;
  readonly services: Record<ClusterServiceName, ClusterService>;
  readonly postgres: Postgres;
  readonly tools: TemporalServerTools;
  /** ms from the call to a cluster that answers on every service (tools lookup and build excluded). */
  readonly startupMs: number;
  /** Stops the services and PostgreSQL; removes the work folder unless asked to keep it. */
  stop(): Promise<void>;
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** Progress lines; stderr by default. */
  log?: (line: string) => void;
  /** Keep the work folder after stop (default: remove it). */
  keep?: boolean;
  /** Server log level, `warn` by default. */
  logLevel?: string;
  /** History shards (4 by default) and extra dynamic configuration (e.g. task-queue partitions): the benchmark's. */
  tuning?: Pick<ClusterConfigInput, 'historyShards' | 'dynamicConfig'>;
}

/** Starts PostgreSQL, sets up the schemas, starts the four services and registers the namespace. */
export async function startCluster(options: ClusterOptions = {}): Promise<LocalCluster> {
  const log = options.log ?? ((line: string) => console.error(line));
  const tools = await ensureTemporalServer({ log });
  const cli = await ensureTemporalCli({ log });
  const began = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'combine-papay-cluster-'));
  fs.chmodSync(dir, 0o755); // PostgreSQL runs as another user and must reach its data folder
  const certs = makeClusterCerts(path.join(dir, 'certs'));
  let postgres: Postgres | undefined;
  const services: Partial<Record<ClusterServiceName, ClusterService>> = {};
  // Should this process end without stop(), take the services and PostgreSQL (fast shutdown) along.
  const onExit = (): void => {
    for (const s of Object.values(services)) s.child?.kill('SIGKILL');
    try {
      if (postgres?.pid) process.kill(postgres.pid, 'SIGINT');
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  const stopAll = async (): Promise<void> => {
    for (const name of ['worker', 'frontend', 'matching', 'history'] as const) await services[name]?.stop();
    await postgres?.stop();
    process.removeListener('exit', onExit);
    if (!options.keep) fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    postgres = await startPostgres(dir, log);
    await setUpSchemas(tools, postgres, log);
    const ports = await pickPorts();
    const pg = { host: postgres.host, port: postgres.port, user: postgres.user, password: postgres.password };
    const configDir = writeServerConfig(dir, {
      postgres: pg,
      ports,
      certs,
      logLevel: options.logLevel ?? 'warn',
      ...options.tuning,
    });
    for (const name of CLUSTER_SERVICES)
      services[name] = serviceProcess(tools.server, dir, configDir, name, ports[name]);
    // The first process to start writes the cluster metadata and the system namespace; several at once race on it.
    services.frontend!.start();
    const address = `127.0.0.1:${ports.frontend.grpc}`;
    await pollUntilReady(
      'the frontend to listen',
      () => exitedService(services),
      60_000,
      () => portInUse(ports.frontend.grpc),
    );
    for (const name of ['history', 'matching', 'worker'] as const) services[name]!.start();
    const env = clusterEnv(address, 'default', certs);
    log(`services starting (frontend ${address}); registering the default namespace`);
    await createNamespace(cli, env, () => exitedService(services));
    await waitUntilServing(env, () => exitedService(services));
    return {
      address,
      namespace: 'default',
      dir,
      certs,
      env,
      services: services as Record<ClusterServiceName, ClusterService>,
      postgres,
      tools,
      startupMs: Date.now() - began,
      stop: stopAll,
    };
  } catch (err) {
    // The work folder goes with stopAll (unless kept): the services' last words go into the error.
    const logs = Object.values(services).map((s) => `\n--- ${s.name} log (tail)\n${tail(s.logFile, 1_000)}`);
    await stopAll();
    throw new Error(`${(err as Error).message}${logs.join('')}`);
  }
}

/**
 * A gRPC and a membership port per service, and the frontend's HTTP port, all below 32768: the SQL schema keeps a
 * member's port in a `smallint` (`cluster_membership.rpc_port`), and the kernel's ephemeral ports start at 32768.
 */
async function pickPorts(): Promise<Record<ClusterServiceName, ServicePorts>> {
  const taken = new Set<number>();
  const next = async (): Promise<number> => {
    for (;;) {
      const port = 20_000 + Math.floor(Math.random() * 12_000);
      if (!taken.has(port) && (await canListen(port))) {
        taken.add(port);
        return port;
      }
    }
  };
  const out: Partial<Record<ClusterServiceName, ServicePorts>> = {};
  for (const name of CLUSTER_SERVICES) out[name] = { grpc: await next(), membership: await next() };
  out.frontend!.http = await next();
  return out as Record<ClusterServiceName, ServicePorts>;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** `create-database`, `setup-schema -v 0.0`, `update-schema -d <versioned>` for both databases. */
async function setUpSchemas(tools: TemporalServerTools, pg: Postgres, log: (line: string) => void): Promise<void> {
  const t0 = Date.now();
  for (const [db, schema] of [
    ['temporal', 'temporal'],
    ['temporal_visibility', 'visibility'],
  ] as const) {
    const base = ['--plugin', 'postgres12', '--ep', pg.host, '-p', String(pg.port), '-u', pg.user, '--db', db];
    const env = { ...process.env, SQL_PASSWORD: pg.password };
    const versioned = path.join(tools.postgresSchemaDir, schema, 'versioned');
    for (const command of [
      ['create-database', '--defaultdb', 'postgres'],
      ['setup-schema', '-v', '0.0'],
      ['update-schema', '-d', versioned],
    ]) {
      await run(tools.sqlTool, [...base, ...command], { env }).catch((err: { stderr?: string; message: string }) => {
        throw new Error(`temporal-sql-tool ${command[0]} (${db}) failed: ${err.stderr ?? err.message}`);
      });
    }
  }
  log(`schemas set up (temporal, temporal_visibility) in ${Date.now() - t0} ms`);
}

function serviceProcess(
  server: string,
  dir: string,
  configDir: string,
  name: ClusterServiceName,
  ports: ServicePorts,
): ClusterService {
  const logFile = path.join(dir, `${name}.log`);
  let child: ChildProcess | undefined;
  const args = ['--root', path.dirname(configDir), '--config', path.basename(configDir), '--env', CONFIG_ENV];
  return {
    name,
    ports,
    logFile,
    get child() {
      return child;
    },
    start() {
      const out = fs.openSync(logFile, 'a');
      child = spawn(server, [...args, '--allow-no-auth', 'start', `--service=${name}`], {
        cwd: dir,
        stdio: ['ignore', out, out],
      });
      fs.closeSync(out);
    },
    async kill() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await gone;
    },
    async stop() {
      if (child) await stopProcess(child, 10_000);
    },
  };
}

/** The name and exit of a service that stopped on its own, if any (readiness gives up at once then). */
function exitedService(services: Partial<Record<ClusterServiceName, ClusterService>>): string | undefined {
  for (const s of Object.values(services)) {
    const c = s.child;
    if (c && (c.exitCode !== null || c.signalCode !== null)) {
      return `the ${s.name} service exited (code ${c.exitCode}, signal ${c.signalCode}); log ${s.logFile}:\n${tail(s.logFile)}`;
    }
  }
  return undefined;
}

/** `temporal operator namespace create` over mTLS, retried until the frontend takes it. */
async function createNamespace(cli: string, env: Record<string, string>, exited: () => string | undefined) {
  const args = [
    ...['operator', 'namespace', 'create', '--namespace', env.TEMPORAL_NAMESPACE!, '--retention', '72h'],
    ...cliTlsArgs(env),
  ];
  let last = '';
  await pollUntilReady('the frontend to register the default namespace', exited, 120_000, async () => {
    const out = await run(cli, args, { timeout: 15_000 }).then(
      () => ({ ok: true, text: '' }),
      (err: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        text: `${err.stdout ?? ''}${err.stderr ?? err.message}`.trim(),
      }),
    );
    last = out.text;
    return out.ok || /already exists|AlreadyExists/i.test(last);
  }).catch((err: Error) => {
    throw new Error(`${err.message}; last answer: ${last}`);
  });
}

function tail(file: string, chars = 2_000): string {
  try {
    return fs.readFileSync(file, 'utf8').slice(-chars);
  } catch {
    return '(no log)';
  }
}
