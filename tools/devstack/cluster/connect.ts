/**
 * How clients reach the local cluster: the `TEMPORAL_*` variables (envconfig), the CLI's flags, a connection made
 * the way the worker makes it, and the readiness checks that go through the frontend to every service.
 */
import { Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { ClusterCerts } from './certs';
import { waitFor } from '../dev-server';

/** The `TEMPORAL_*` environment of a worker connecting with the cluster's client certificate. */
export function clusterEnv(address: string, namespace: string, certs: ClusterCerts): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: address,
    TEMPORAL_NAMESPACE: namespace,
    TEMPORAL_TLS_CLIENT_CERT_PATH: certs.client.cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: certs.client.key,
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: certs.ca,
    TEMPORAL_TLS_SERVER_NAME: certs.serverName,
  };
}

/** Connects a client through envconfig, as the worker does. */
export async function connectWithEnv(env: Record<string, string>): Promise<Connection> {
  const { connectionOptions } = loadClientConnectConfig({ overrideEnvVars: env });
  return Connection.connect({ ...connectionOptions, connectTimeout: 5_000 });
}

/** {@link waitFor}, giving up at once when a service process has exited (its log tail in the error). */
export async function pollUntilReady(
  what: string,
  exited: () => string | undefined,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  let problem: string | undefined;
  await waitFor(
    what,
    async () => {
      problem = exited();
      return problem !== undefined || (await check());
    },
    { timeoutMs, intervalMs: 500 },
  );
  if (problem) throw new Error(problem);
}

/** The CLI's flags for the frontend's address and mTLS. */
export function cliTlsArgs(env: Record<string, string>): string[] {
  return [
    ...['--address', env.TEMPORAL_ADDRESS!, '--tls-cert-path', env.TEMPORAL_TLS_CLIENT_CERT_PATH!],
    ...['--tls-key-path', env.TEMPORAL_TLS_CLIENT_KEY_PATH!, '--tls-ca-path', env.TEMPORAL_TLS_SERVER_CA_CERT_PATH!],
    ...['--tls-server-name', env.TEMPORAL_TLS_SERVER_NAME!],
  ];
}

/**
 * Waits until each service answers through the frontend: the namespace is in the frontend's registry and visibility
 * answers (a count), history answers for a workflow it does not have (NOT_FOUND), matching describes a task queue.
 */
export async function waitUntilServing(
  env: Record<string, string>,
  exited: () => string | undefined = () => undefined,
  timeoutMs = 120_000,
): Promise<void> {
  const namespace = env.TEMPORAL_NAMESPACE ?? 'default';
  await pollUntilReady('every service to answer through the frontend', exited, timeoutMs, () =>
    servicesAnswer(env, namespace),
  );
}

/** One round of {@link waitUntilServing}'s checks; true when all pass. */
async function servicesAnswer(env: Record<string, string>, namespace: string): Promise<boolean> {
  const connection = await connectWithEnv(env);
  try {
    const svc = connection.workflowService;
    await svc.countWorkflowExecutions({ namespace, query: '' });
    const history = await svc
      .getWorkflowExecutionHistory({ namespace, execution: { workflowId: `readiness-${Date.now()}` } })
      .then(
        () => true,
        (err: { code?: number }) => err.code === 5, // NOT_FOUND: history looked and answered
      );
    if (!history) return false;
    await svc.describeTaskQueue({ namespace, taskQueue: { name: 'cluster-readiness' }, taskQueueType: 1 });
    return true;
  } finally {
    await connection.close();
  }
}
