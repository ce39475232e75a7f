/**
 * The harm `npm run test:cluster` does to the cluster, and what it measures: a service process SIGKILLed and started
 * again (time until the cluster answers end to end again), and a worker presenting a client certificate from
 * another CA (refused, and the worker says why).
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { orderStatus } from '../../../client';
import { makeCa, makeLeaf } from './certs';
import type { ClusterServiceName } from './config';
import type { LocalCluster } from './local-cluster';

/** One kill and what followed. */
export interface KillRecord {
  service: ClusterServiceName;
  /** When the SIGKILL was sent (epoch ms). */
  killedAt: number;
  /** ms from the kill to the new process being started. */
  downMs: number;
  /** ms from the kill until an order's `status` query answered again (frontend → history → matching → worker). */
  recoveredMs: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/**
 * SIGKILLs the service's process, starts it again after `downMs`, and probes with the `status` query of a running
 * order (each attempt bounded to 3 s) until it answers; fails after `maxMs`.
 */
export async function killAndRestart(
  cluster: LocalCluster,
  service: ClusterServiceName,
  probe: { client: Client; combineOutTradeNo: string },
  { downMs = 1_000, maxMs = 180_000 }: { downMs?: number; maxMs?: number } = {},
): Promise<KillRecord> {
  const svc = cluster.services[service];
  const killedAt = Date.now();
  await svc.kill();
  await sleep(killedAt + downMs - Date.now());
  svc.start();
  const startedAt = Date.now();
  for (;;) {
    const answered = await orderStatus(probe.client, probe.combineOutTradeNo, { timeoutMs: 3_000 }).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (svc.child?.exitCode !== null && svc.child?.exitCode !== undefined) {
      throw new Error(`the ${service} service exited again after its restart (code ${svc.child.exitCode})`);
    }
    if (Date.now() - killedAt > maxMs)
      throw new Error(`the cluster did not recover within ${maxMs} ms of the ${service} kill`);
    await sleep(250);
  }
  return { service, killedAt, downMs: startedAt - killedAt, recoveredMs: Date.now() - killedAt };
}

/** What a worker with a foreign client certificate did. */
export interface WrongCertOutcome {
  /** Exit code (null: killed after the time limit, i.e. it kept running). */
  exitCode: number | null;
  /** The worker's error line(s). */
  message: string;
  /** Refused, and the message names the certificate problem (the TLS alert). */
  refused: boolean;
  ms: number;
}

/**
 * Starts the product worker (`workerArgs`, environment `env`) with a client certificate and key from a CA the
 * cluster does not trust (made in `<cluster dir>/certs/foreign`): it must exit non-zero, naming the refusal.
 */
export async function tryForeignClientCert(
  cluster: LocalCluster,
  workerArgs: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<WrongCertOutcome> {
  const dir = path.join(cluster.dir, 'certs', 'foreign');
  const ca = makeCa(dir, 'foreign-ca', 'some other CA');
  const client = makeLeaf(dir, ca, 'foreign-client', 'combine-papay-worker', ['clientAuth']);
  const started = Date.now();
  const child = spawn(process.execPath, workerArgs, {
    cwd,
    env: { ...env, TEMPORAL_TLS_CLIENT_CERT_PATH: client.cert, TEMPORAL_TLS_CLIENT_KEY_PATH: client.key },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += String(c)));
  child.stderr.on('data', (c: Buffer) => (output += String(c)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exitCode = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  clearTimeout(timer);
  const message = output
    .split('\n')
    .filter((l) => /worker failed|error|refused|certificate/i.test(l) && !/^\s/.test(l))
    .join('\n')
    .trim();
  // The frontend refuses a client certificate it does not trust with a TLS alert, or just closes the handshake; the
  // worker must say so in words, not only as the SDK's "transport error".
  const explained = /refused this worker's client certificate|requires a client certificate/.test(output);
  const refused = exitCode !== null && exitCode !== 0 && explained;
  return { exitCode, message: message || output.slice(-500), refused, ms: Date.now() - started };
}
